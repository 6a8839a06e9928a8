/**
 * Time from a failing verdict to 100% of traffic back on the champion, end to end: the check's
 * activity returns → the workflow decides → the rollback activity sets the gateway's weights.
 * Needs a Temporal server: `scripts/temporal-dev-server start` (or TEMPORAL_ADDRESS).
 *   npx tsx bench/rollback-latency.ts [rounds]
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createPipelineWorker } from '../workers/pipeline-worker.js';
import { startServingStack, GATEWAY_TOKEN } from '../test/support/serving-stack.js';
import { GatewayAdminClient } from '../src/serving/gateway-admin-client.js';
import { PipelineDefinition } from '../src/spec/schema.js';
import { settingsFromEnv } from '../src/temporal/settings.js';
import { canaryStatusQuery } from '../workflows/messages.js';
import type { CanaryOutcome } from '../workflows/canary-status.js';

const rounds = Number(process.argv[2] ?? 5);
Runtime.install({ logger: new DefaultLogger('ERROR') });
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-bench-rollback-'));
const stack = await startServingStack(dataDir);
const settings = { ...settingsFromEnv(), taskQueue: `bench-${randomUUID()}`, dataDir };
const connection = await Connection.connect({ address: settings.temporalAddress });
const client = new Client({ connection, namespace: settings.namespace });
const worker = await createPipelineWorker({ settings, codeVersion: 'bench' });
const running = worker.run();
const admin = new GatewayAdminClient(stack.gateway.url, GATEWAY_TOKEN);

const definition = (model: string) =>
  PipelineDefinition.parse({
    model,
    data: { source: 'unused.csv', target: 'is_fraud' },
    deploy: {
      gateway: { url: stack.gateway.url },
      faults: { errorRate: 0.9, addedLatencyMs: 0 },
      canary: { steps: [{ weight: 50 }], slaWindow: '30s', interval: '1s', metricsWindow: '1s', sla: { minSamples: 10 } },
    },
  });

const samples: number[] = [];
for (let round = 0; round < rounds; round++) {
  const model = `bench-rollback-${round}`;
  const [champion, canary] = await stack.registerVersions(model, 2);
  const start = (version: number, championVersion?: number) =>
    client.workflow.start('canaryRollout', { taskQueue: settings.taskQueue, workflowId: `bench/${model}/${version}`, args: [{ definition: definition(model), canaryVersion: version, championVersion }] });
  await (await start(champion!)).result();
  const stop = stack.startTraffic(model, 200);
  const handle = await start(canary!, champion);
  const outcome = (await handle.result()) as CanaryOutcome;
  await stop();
  const status = await handle.query(canaryStatusQuery);
  const failedAt = status.analysis.history.at(-1)?.endedAt ?? status.analysis.checks.at(-1)!.at;
  const routes = await admin.routes(model);
  // The gateway stamps the weight change; the canary's retirement bumps the revision after it.
  const backAt = Date.parse(routes!.updatedAt);
  samples.push(backAt - failedAt);
  console.error(`round ${round + 1}: ${outcome.result} (${outcome.reason}); ${backAt - failedAt} ms`);
}
worker.shutdown();
await running;
await connection.close();
await stack.close();

samples.sort((a, b) => a - b);
const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
console.log(`\n| rounds | median ms | p90 ms | max ms |\n|---:|---:|---:|---:|\n| ${rounds} | ${at(0.5)} | ${at(0.9)} | ${samples.at(-1)} |`);
console.log('\nFrom the workflow recording the failing check to the gateway storing the last route change of the rollback (weights, then the canary removed).');
