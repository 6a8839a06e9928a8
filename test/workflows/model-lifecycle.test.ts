/**
 * One rollout per model at a time (deploy.concurrency, workflows/modelLifecycle.ts), on the dev
 * server with a real worker process, gateway and model servers:
 * - queue: three runs on three new datasets started within a second by three triggers (webhook,
 *   schedule, CLI) roll out one after another — no two canaries of the model overlap — and a
 *   SIGKILL of the worker while one canary runs and the others wait changes nothing;
 * - supersede: the running canary is rolled back (traffic back to the champion) before the
 *   newer run's canary starts;
 * - skip: a run that finds the slot taken ends registered, not deployed, and says why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { inject } from 'vitest';
import { startServingStack, type ServingStack } from '../support/serving-stack.js';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.js';
import { fraudDefinition, makeDataset, writeDefinition } from '../support/pipeline-fixtures.js';
import { canaryStatusQuery, lifecycleStatusQuery } from '../../src/temporal/contract.js';
import { lifecycleWorkflowId } from '../../src/temporal/lifecycle-status.js';
import type { PipelineResult } from '../../workflows/pipeline-status.js';
import type { CanaryStatus } from '../../workflows/canary-status.js';
import type { Settings } from '../../src/temporal/settings.js';

let stack: ServingStack;
let client: Client;
let connection: Connection;
let settings: Settings;
let dataDir: string;
const workers: WorkerProcess[] = [];
const stops: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-lifecycle-'));
  stack = await startServingStack(dataDir);
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
  settings = { temporalAddress: inject('temporalAddress'), namespace: 'default', taskQueue: `lifecycle-${randomUUID()}`, dataDir, webUiUrl: inject('temporalUiUrl') };
  workers.push(await startWorkerProcess(settings));
});
afterAll(async () => {
  for (const stop of stops) await stop();
  for (const w of workers) await w.kill();
  await connection?.close();
  await stack?.close();
});

type Concurrency = 'queue' | 'skip' | 'supersede';

async function startRun(model: string, seed: number, concurrency: Concurrency, trigger: string, slaWindow = '3s'): Promise<WorkflowHandle> {
  const data = await makeDataset(dataDir, `${model}-${seed}.csv`, { seed });
  const file = await writeDefinition(dataDir, {
    ...fraudDefinition(data, { model }),
    deploy: {
      gateway: { url: stack.gateway.url },
      concurrency,
      canary: {
        steps: [{ weight: 50 }], slaWindow, interval: '1s', metricsWindow: '1s', minChecksWithEvidence: 1,
        sla: { errorRate: { max: 0.03 }, latencyP99Ms: { max: 1000 }, minSamples: 5 }, errorRateTest: { enabled: false },
      },
    },
  }, `${model}-${seed}.yaml`);
  return client.workflow.start('modelPipeline', {
    taskQueue: settings.taskQueue,
    workflowId: `pipeline/${model}/${randomUUID()}`,
    args: [{ pipelineFile: file, trigger }],
  });
}

/** Start and close time of each version's canary workflow. */
async function canarySpans(model: string, versions: number[]): Promise<Array<{ version: number; start: number; close: number }>> {
  const spans = [];
  for (const version of versions) {
    const info = await client.workflow.getHandle(`canary/${model}/${version}`).describe();
    spans.push({ version, start: info.startTime.getTime(), close: info.closeTime!.getTime() });
  }
  return spans.sort((a, b) => a.start - b.start);
}

async function waitFor(what: string, predicate: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const canaryRunning = (model: string, version: number) => async () => {
  const status = (await client.workflow.getHandle(`canary/${model}/${version}`).query(canaryStatusQuery)) as CanaryStatus;
  return status.weight > 0 && status.outcome === undefined;
};

async function bootstrap(model: string, concurrency: Concurrency): Promise<void> {
  const first = (await (await startRun(model, 100, concurrency, 'cli')).result()) as PipelineResult;
  expect(first).toMatchObject({ outcome: 'promoted', version: 1 });
  stops.push(stack.startTraffic(model, 100));
}

describe('one rollout per model at a time', () => {
  it('queue: three triggers within a second roll out one after another, and a SIGKILL of the worker in between changes nothing', async () => {
    const model = 'queued';
    await bootstrap(model, 'queue');
    const handles = await Promise.all([
      startRun(model, 201, 'queue', 'webhook'),
      startRun(model, 202, 'queue', 'schedule'),
      startRun(model, 203, 'queue', 'cli'),
    ]);
    // One canary runs and the other two wait for the slot; then the worker dies outright.
    await waitFor('one canary running and two runs waiting', async () => {
      const status = await client.workflow.getHandle(lifecycleWorkflowId(model)).query(lifecycleStatusQuery);
      return status.holder !== null && status.waiting.length === 2 && (await canaryRunning(model, status.holder.version)());
    });
    await workers.at(-1)!.kill('SIGKILL');
    workers.push(await startWorkerProcess(settings));

    const results = (await Promise.all(handles.map((handle) => handle.result()))) as PipelineResult[];
    expect(results.map((result) => result.outcome)).toEqual(['promoted', 'promoted', 'promoted']);
    expect(results.map((result) => result.version).sort()).toEqual([2, 3, 4]);
    for (const result of results) expect(result.steps.find((step) => step.step === 'rollout-slot')?.summary).toBe('granted');

    const spans = await canarySpans(model, [2, 3, 4]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.start, `canary v${spans[i]!.version} starts after v${spans[i - 1]!.version} ends`).toBeGreaterThanOrEqual(spans[i - 1]!.close);
    const status = await client.workflow.getHandle(lifecycleWorkflowId(model)).query(lifecycleStatusQuery);
    expect(status.holder).toBeNull();
    expect(status.log.filter((entry) => entry.event === 'queued')).toHaveLength(2);
    expect(status.log.filter((entry) => entry.event === 'granted')).toHaveLength(4);
  });

  it('supersede: the running canary is rolled back before the newer one starts', async () => {
    const model = 'superseded';
    await bootstrap(model, 'supersede');
    const older = await startRun(model, 301, 'supersede', 'webhook', '60s');
    await waitFor('the older canary taking traffic', canaryRunning(model, 2));
    const newer = await startRun(model, 302, 'supersede', 'cli');

    const olderResult = (await older.result()) as PipelineResult;
    const newerResult = (await newer.result()) as PipelineResult;
    expect(olderResult).toMatchObject({ outcome: 'rolled-back', version: 2 });
    expect(olderResult.canary?.reason).toContain(`superseded by ${newer.workflowId}`);
    expect(newerResult).toMatchObject({ outcome: 'promoted', version: 3 });
    const [first, second] = await canarySpans(model, [2, 3]);
    expect(second!.start).toBeGreaterThanOrEqual(first!.close);
  });

  it('skip: a run that finds a canary running ends registered, not deployed, and says why', async () => {
    const model = 'skipped';
    await bootstrap(model, 'skip');
    const running = await startRun(model, 401, 'skip', 'webhook', '8s');
    await waitFor('the first canary taking traffic', canaryRunning(model, 2));
    const late = (await (await startRun(model, 402, 'skip', 'schedule')).result()) as PipelineResult;
    expect(late).toMatchObject({ outcome: 'skipped', version: 3, status: 'candidate' });
    expect(late.reasons.at(-1)).toMatch(new RegExp(`^not rolled out: deploy.concurrency is skip and pipeline/${model}/.* \\(v2\\) is rolling out$`));
    expect(late.steps.map((step) => step.step)).not.toContain('canary');
    expect((await running.result()) as PipelineResult).toMatchObject({ outcome: 'promoted', version: 2 });
  });
});
