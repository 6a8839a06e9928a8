/**
 * No silent type changes: a second version trained on data where one value turned a numeric
 * column into text fails its contract step, naming the column, the kind v1 had and the row, on
 * the real dev server. (Before: the column was read as text and trained on as a category.)
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createWorkflowTestEnvironment, type WorkflowTestEnvironment } from '../support/workflow-environment.js';
import { fraudDefinition, makeDataset, makeWorkspace, writeDefinition } from '../support/pipeline-fixtures.js';

let env: WorkflowTestEnvironment;
let dir: string;

beforeAll(async () => {
  dir = await makeWorkspace();
  env = await createWorkflowTestEnvironment({ dataDir: path.join(dir, '.data') });
});
afterAll(async () => {
  await env?.close();
});

async function run(data: string, name: string) {
  const file = await writeDefinition(dir, fraudDefinition(data, { model: 'kinds' }), name);
  const handle = await env.client.workflow.start('modelPipeline', { taskQueue: env.settings.taskQueue, workflowId: `kinds/${randomUUID()}`, args: [{ pipelineFile: file }] });
  return env.run(() => handle.result().then((result) => ({ result, error: undefined }), (error: unknown) => ({ result: undefined, error })));
}

describe('a feature that changes kind between versions', () => {
  it('fails the contract step of the next run with the column, the earlier kind and the offending row', async () => {
    const first = await run(await makeDataset(dir, 'day1.csv', { seed: 51 }), 'day1.yaml');
    expect(first.result).toMatchObject({ outcome: 'registered', version: 1 });

    // Day 2: the same kind of data, except one distance that someone typed as text.
    const day2 = await makeDataset(dir, 'day2.csv', { seed: 52 });
    const lines = (await readFile(day2, 'utf8')).split('\n');
    const header = lines[0]!.split(',');
    const column = header.indexOf('distance_from_home_km');
    const cells = lines[3]!.split(',');
    cells[column] = 'abc';
    lines[3] = cells.join(',');
    await writeFile(day2, lines.join('\n'));

    const second = await run(day2, 'day2.yaml');
    expect(second.error).toBeInstanceOf(WorkflowFailedError);
    const cause = (second.error as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('DataContractViolation');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toContain('distance_from_home_km: expected numeric (as in v1), got text: 1 value not a number (row 3: "abc")');

    // The same data with the column pinned as text in the contract is the user's decision: it passes that check.
    const pinned = fraudDefinition(day2, { model: 'kinds' });
    pinned.data.contract = { ...pinned.data.contract!, columns: { ...pinned.data.contract?.columns, distance_from_home_km: { type: 'string' } } };
    const file = await writeDefinition(dir, pinned, 'day2-pinned.yaml');
    const handle = await env.client.workflow.start('modelPipeline', { taskQueue: env.settings.taskQueue, workflowId: `kinds/${randomUUID()}`, args: [{ pipelineFile: file }] });
    const third = await env.run(() => handle.result());
    expect(third).toMatchObject({ outcome: expect.stringMatching(/registered|rejected/), version: 2 });
  });
});
