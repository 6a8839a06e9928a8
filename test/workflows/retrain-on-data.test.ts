/**
 * Runs are keyed by their data whichever trigger starts them: a retrain schedule firing on bytes
 * already trained on (here by `mlops run`'s starter) does nothing and says so; new bytes start
 * one run, and a second firing on them finds it.
 */
import { appendFile, mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkflowTestEnvironment, type WorkflowTestEnvironment } from '../support/workflow-environment.js';
import { fraudDefinition, makeDataset, writeDefinition } from '../support/pipeline-fixtures.js';
import { startPipeline } from '../../src/temporal/start-pipeline.js';
import type { RetrainWhenDataChangedResult } from '../../workflows/retrainWhenDataChanged.js';

let env: WorkflowTestEnvironment;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-retrain-on-data-'));
  env = await createWorkflowTestEnvironment({ dataDir });
}, 120_000);
afterAll(async () => {
  await env?.close();
});

describe('retrainWhenDataChanged (what a retrain schedule starts)', () => {
  it('does nothing on data a CLI run already trained on, and starts exactly one run on new bytes', async () => {
    const model = 'retrain-on-data';
    const data = await makeDataset(dataDir, `${model}.csv`, { rows: 1500, seed: 5 });
    const file = await writeDefinition(dataDir, fraudDefinition(data, { model }), `${model}.yaml`);
    const fire = (id: string) =>
      env.run(() => env.client.workflow.execute('retrainWhenDataChanged', { taskQueue: env.settings.taskQueue, workflowId: id, args: [{ pipelineFile: file, trigger: 'schedule' }] }) as Promise<RetrainWhenDataChangedResult>);

    const cli = await startPipeline(env.client, env.settings, file, 'cli');
    await env.run(() => cli.handle.result());
    const unchanged = await fire(`retrain/${model}/1`);
    expect(unchanged).toEqual({ model, dataVersion: cli.dataVersion, outcome: 'unchanged', pipelineWorkflowId: cli.workflowId });
    const described = await env.client.workflow.getHandle(`retrain/${model}/1`).describe();
    expect(JSON.stringify(await described.memo)).toContain('unchanged');

    // New bytes land (one more row): a new data version, one new run.
    const lines = (await readFile(data, 'utf8')).trimEnd().split('\n');
    await appendFile(data, `${lines[1]}\n`);
    const started = await fire(`retrain/${model}/2`);
    expect(started.outcome).toBe('started');
    expect(started.dataVersion).not.toBe(cli.dataVersion);
    expect(started.pipelineWorkflowId).toBe(`pipeline/${model}/${started.dataVersion}`);
    const again = await fire(`retrain/${model}/3`);
    expect(again).toMatchObject({ outcome: 'unchanged', pipelineWorkflowId: started.pipelineWorkflowId });
    const run = env.client.workflow.getHandle(started.pipelineWorkflowId);
    expect((await env.run(() => run.result())) as { dataVersion: string }).toMatchObject({ dataVersion: started.dataVersion });
    expect((await run.describe()).searchAttributes).toMatchObject({ TriggeredBy: ['schedule'] });
  }, 300_000);
});
