/**
 * A real local serving stack for workflow tests: the gateway (in process), a registry with
 * trained versions, and the local deploy target's model-server processes, cleaned up after.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { startGateway, type RunningGateway } from '../../src/serving/gateway.js';
import { generateFraudTable } from '../../src/data/generate.js';
import { holdoutSplit } from '../../src/data/split.js';
import { allRows } from '../../src/data/table.js';
import type { Table } from '../../src/data/table.js';
import { readBinaryTarget } from '../../src/train/binary-target.js';
import { trainLogisticRegression } from '../../src/train/logistic-regression.js';
import { writeArtifact } from '../../src/train/artifact-file.js';
import { openRegistry } from '../../src/registry/open-registry.js';
import { sendTraffic, type TrafficOptions, type TrafficStats } from '../../src/serving/traffic-generator.js';

export const GATEWAY_TOKEN = 'test-gateway-token';
export const FEATURES_EXCLUDED = ['transaction_id', 'is_fraud'];

export interface ServingStack {
  gateway: RunningGateway;
  table: Table;
  /** Registers `count` more versions of `model` (same trained artifact) and returns their numbers. */
  registerVersions(model: string, count: number): Promise<number[]>;
  /** Sends traffic until the returned stop function is called. */
  /** `kpi`: also feed back a business KPI with every answer (traffic-generator.ts). */
  startTraffic(model: string, requestsPerSecond: number, kpi?: TrafficOptions['kpi']): () => Promise<TrafficStats>;
  close(): Promise<void>;
}

export async function startServingStack(dataDir: string): Promise<ServingStack> {
  process.env.MLOPS_GATEWAY_TOKEN = GATEWAY_TOKEN;
  const gateway = await startGateway({ dataDir, adminToken: GATEWAY_TOKEN, flushIntervalMs: 500 });
  const { table } = generateFraudTable({ rows: 6000, seed: 21, fraudRate: 0.1 });
  const labels = readBinaryTarget(table, 'is_fraud', allRows(table.rowCount));
  const { train } = holdoutSplit(labels, 0.2, 1);
  const features = table.columns.map((c) => c.name).filter((n) => !FEATURES_EXCLUDED.includes(n));
  const artifact = trainLogisticRegression(table, {
    model: 'canary-test', target: 'is_fraud', features, rows: train, seed: 1,
    params: { l2: 1, maxIterations: 100, tolerance: 1e-6, minCategoryCount: 1 },
  });
  const written = await writeArtifact(artifact, path.join(dataDir, 'trained'));
  const traffic: AbortController[] = [];

  return {
    gateway,
    table,
    async registerVersions(model, count) {
      const registry = await openRegistry({ kind: 'embedded' }, { dataDir });
      try {
        const versions: number[] = [];
        for (let i = 0; i < count; i++) {
          const v = await registry.registerVersion({
            model, idempotencyKey: `${model}-${Date.now()}-${Math.random()}`, status: 'candidate', artifactPath: written.path,
            metrics: { roc_auc: 0.9 }, gates: [],
            lineage: { dataVersion: 'test', definitionHash: 'test', trainer: 'builtin:logistic_regression', codeVersion: 'test', workflowId: 'test', runId: 'test' },
          });
          versions.push(v.version);
        }
        return versions;
      } finally {
        await registry.close();
      }
    },
    startTraffic(model, requestsPerSecond, kpi) {
      const controller = new AbortController();
      traffic.push(controller);
      const done = sendTraffic({
        gatewayUrl: gateway.url, model, table, features, target: 'is_fraud', requestsPerSecond,
        durationMs: 10 * 60_000, labelShare: 0.5, labelDelayMs: 200, signal: controller.signal, ...(kpi ? { kpi } : {}),
      });
      return async () => {
        controller.abort();
        return done;
      };
    },
    async close() {
      for (const c of traffic) c.abort();
      await gateway.close();
      await killModelServers(dataDir);
    },
  };
}

/** Stops every model-server process the local deploy target recorded under `dataDir`. */
export async function killModelServers(dataDir: string): Promise<void> {
  const root = path.join(dataDir, 'deployments');
  const models = await readdir(root).catch(() => [] as string[]);
  for (const model of models) {
    for (const version of await readdir(path.join(root, model)).catch(() => [] as string[])) {
      try {
        const { pid } = JSON.parse(await readFile(path.join(root, model, version, 'deployment.json'), 'utf8')) as { pid: number };
        process.kill(pid, 'SIGKILL');
      } catch {
        // not running or never recorded
      }
    }
  }
}
