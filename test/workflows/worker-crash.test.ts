import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { inject } from 'vitest';
import { fraudDefinition, makeDataset, makeWorkspace, writeDefinition } from '../support/pipeline-fixtures.js';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.js';
import { openRegistry } from '../../src/registry/open-registry.js';
import type { Settings } from '../../src/temporal/settings.js';
import type { PipelineResult } from '../../workflows/pipeline-status.js';

let connection: Connection;
let client: Client;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});
afterAll(async () => {
  for (const w of workers) await w.kill();
  await connection?.close();
});

describe('a worker killed during training', () => {
  it('is replaced by a new worker that finishes the run with exactly one registered version', async () => {
    const settings: Settings = {
      temporalAddress: inject('temporalAddress'),
      namespace: 'default',
      taskQueue: `crash-${randomUUID()}`,
      dataDir: await mkdtemp(path.join(os.tmpdir(), 'mlops-crash-')),
      webUiUrl: inject('temporalUiUrl'),
    };
    const dir = await makeWorkspace();
    // Big enough that training lasts a few seconds, so the kill lands inside it.
    const data = await makeDataset(dir, 'large.parquet', { rows: 400_000, seed: 5 });
    const file = await writeDefinition(dir, fraudDefinition(data, { model: 'crash' }));

    const first = await startWorkerProcess(settings);
    workers.push(first);
    const handle = await client.workflow.start('modelPipeline', { taskQueue: settings.taskQueue, workflowId: `crash/${randomUUID()}`, args: [{ pipelineFile: file }] });

    // Wait until the train activity is running on the first worker, then kill it outright.
    await waitFor(async () => {
      const { raw } = await handle.describe();
      return (raw.pendingActivities ?? []).some((a) => a.activityType?.name === 'trainModel' && a.lastStartedTime);
    }, 60_000);
    await first.kill('SIGKILL');

    const second = await startWorkerProcess(settings);
    workers.push(second);
    const result = (await handle.result()) as PipelineResult;

    expect(result.outcome).toBe('registered');
    const history = await handle.fetchHistory();
    const trainScheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainModel');
    const trainStarted = history.events!.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === trainScheduled?.eventId?.toString());
    expect(trainStarted?.activityTaskStartedEventAttributes?.attempt).toBe(2);

    const registry = await openRegistry({ kind: 'embedded' }, { dataDir: settings.dataDir });
    const versions = await registry.listVersions('crash');
    expect(versions.map((v) => v.version)).toEqual([1]);
    expect(versions[0]!.lineage.workflowId).toBe(handle.workflowId);
    await registry.close();
  }, 240_000);
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await sleep(100);
  }
  throw new Error('condition not met in time');
}
