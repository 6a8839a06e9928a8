/**
 * `mlops canary abort` at 3 a.m. with no worker up (or a run that has just continued as new):
 * the abort is a signal, which Temporal takes without a worker, so it must go out before anything
 * that needs one (the status query). Real dev server and the real CLI; the rollout's workflow is
 * started on a task queue no worker polls, as when every worker is down.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { MODEL } from '../../src/temporal/search-attributes.js';

const mlops = path.resolve(import.meta.dirname, '../../bin/mlops');
const model = `no-worker-${randomUUID().slice(0, 8)}`;
const taskQueue = `no-worker-${randomUUID()}`;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});
afterAll(async () => {
  for await (const run of client.workflow.list({ query: `TaskQueue="${taskQueue}" AND ExecutionStatus="Running"` })) {
    await client.workflow.getHandle(run.workflowId).terminate('test cleanup').catch(() => undefined);
  }
  await connection?.close();
});

it('sends the abort although nobody can answer the status query, and says why the status is missing', async () => {
  const workflowId = `canary/${model}/2/${randomUUID()}`;
  await client.workflow.start('canaryRollout', {
    taskQueue, workflowId, args: [{}],
    typedSearchAttributes: new TypedSearchAttributes([{ key: MODEL, value: model }]),
  });
  for (let i = 0; i < 100 && !(await client.workflow.count(`WorkflowType="canaryRollout" AND Model="${model}" AND ExecutionStatus="Running"`)).count; i++) await new Promise((r) => setTimeout(r, 100));
  const env = { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress'), MLOPS_TASK_QUEUE: taskQueue };
  const run = await promisify(execFile)(mlops, ['canary', 'abort', model, '--reason', 'paged at 3 a.m.'], { env, timeout: 120_000 }).then(
    (r) => ({ code: 0, ...r }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
  expect(run.stdout, run.stderr).toContain(`sent abort to ${workflowId}`);
  expect(run.stderr).toMatch(/the canary's status is not available \(.*\): is a worker polling no-worker-/);
  const signals = ((await client.workflow.getHandle(workflowId).fetchHistory()).events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes);
  expect(signals.map((e) => e.workflowExecutionSignaledEventAttributes!.signalName)).toEqual(['abort']);
}, 180_000);
