/**
 * The trust boundary, tried as the user did, against workers with the default policy on
 * the real dev server: a workflow start cannot make the worker read files outside its roots (and
 * no file content reaches workflow history), cannot run commands through an inline definition,
 * and cannot escape a root through a symlink. A definition under a root still runs its command
 * trainer; the same definition inline runs only under a policy that allows it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createWorkflowTestEnvironment, type WorkflowTestEnvironment } from '../support/workflow-environment.js';
import { fraudDefinition, makeDataset, writeDefinition } from '../support/pipeline-fixtures.js';
import { defaultWorkerPolicy, resolveWorkerPolicy } from '../../src/policy/worker-policy.js';
import type { PipelineDefinitionInput } from '../../src/spec/schema.js';

const commandTrainer = path.resolve(import.meta.dirname, '../../examples/command-trainer/train.mjs');

let root: string;
let strict: WorkflowTestEnvironment;
let lenient: WorkflowTestEnvironment;
let data: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'mlops-policy-root-'));
  await mkdir(path.join(root, 'definitions'));
  data = await makeDataset(root, 'transactions.csv', { rows: 2000, seed: 3 });
  // The default policy of a worker started in `root`; and one that also takes inline command trainers.
  strict = await createWorkflowTestEnvironment({ dataDir: path.join(root, '.data'), policy: defaultWorkerPolicy(root) });
  lenient = await createWorkflowTestEnvironment({ dataDir: path.join(root, '.data'), policy: resolveWorkerPolicy({ inline: { allowed: true, runtimes: ['builtin', 'command'] } }, root, 'a test policy') });
});
afterAll(async () => {
  await strict?.close();
  await lenient?.close();
});

async function start(env: WorkflowTestEnvironment, input: Record<string, unknown>): Promise<WorkflowHandle> {
  return env.client.workflow.start('modelPipeline', { taskQueue: env.settings.taskQueue, workflowId: `policy/${randomUUID()}`, args: [input] });
}

/** The run's failure, which must be a non-retryable PolicyViolation. */
async function policyFailure(env: WorkflowTestEnvironment, handle: WorkflowHandle): Promise<ApplicationFailure> {
  const error = await env.run(() => handle.result().then(() => undefined, (e: unknown) => e));
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect(cause.type).toBe('PolicyViolation');
  expect(cause.nonRetryable).toBe(true);
  return cause;
}

/** Everything the workflow's history holds, as text (what the Web UI shows). */
async function historyText(handle: WorkflowHandle): Promise<string> {
  return JSON.stringify(await handle.fetchHistory());
}

const linear = (definition: PipelineDefinitionInput): PipelineDefinitionInput => ({ ...definition, evaluate: { holdout: 0.2, seed: 1, gates: {} } });

describe('a worker with the default policy', () => {
  it.each(['/etc/shadow', '/etc/passwd'])('refuses pipelineFile %s with PolicyViolation, and no line of the file reaches history', async (file) => {
    const handle = await start(strict, { pipelineFile: file });
    const cause = await policyFailure(strict, handle);
    expect(cause.message).toBe(`PolicyViolation: pipelineFile: "${file}" is outside the allowed roots: definition files are read only from ${JSON.stringify(root)} (the default worker policy)`);
    const history = await historyText(handle);
    const lines = readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l.length >= 8);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(history.includes(line), `history holds a line of ${file}`).toBe(false);
    expect(history).not.toMatch(/root:[x*!$]/);
  });

  it('refuses an inline definition whose trainer is a command, and the command never runs', async () => {
    const marker = path.join(os.tmpdir(), `mlops-policy-${randomUUID()}`);
    const pipeline = { ...fraudDefinition(data, { model: 'inline-command' }), train: { runtime: 'command', command: ['sh', '-c', `id > ${marker}`] } };
    const handle = await start(strict, { pipeline });
    const cause = await policyFailure(strict, handle);
    expect(cause.message).toMatch(/^PolicyViolation: train\.runtime: "command" runs code on the worker and is not allowed in an inline definition by the default worker policy \(inline runtimes: builtin\)/);
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses a data.source outside the roots, named in a definition file under them', async () => {
    const file = await writeDefinition(path.join(root, 'definitions'), fraudDefinition('/etc/passwd', { model: 'reads-passwd' }), 'passwd.yaml');
    const handle = await start(strict, { pipelineFile: file });
    const cause = await policyFailure(strict, handle);
    expect(cause.message).toMatch(/^PolicyViolation: data\.source: "\/etc\/passwd" is outside the allowed roots: data is read only from /);
    expect(await historyText(handle)).not.toMatch(/root:x:0:0/);
  });

  it('refuses symlinks inside a root that point outside it, for the definition and for the data', async () => {
    const linkedDefinition = path.join(root, 'definitions', 'linked.yaml');
    await symlink('/etc/passwd', linkedDefinition);
    const first = await policyFailure(strict, await start(strict, { pipelineFile: linkedDefinition }));
    expect(first.message).toMatch(/^PolicyViolation: pipelineFile: ".*linked\.yaml" resolves \(through a symlink\) to a path outside the allowed roots/);

    const outside = await mkdtemp(path.join(os.tmpdir(), 'mlops-policy-outside-'));
    await symlink(outside, path.join(root, 'escape'));
    const escaped = await makeDataset(outside, 'secret.csv', { rows: 1000, seed: 4 });
    const viaLink = path.join(root, 'escape', path.basename(escaped));
    const file = await writeDefinition(path.join(root, 'definitions'), fraudDefinition(viaLink, { model: 'via-link' }), 'via-link.yaml');
    const second = await policyFailure(strict, await start(strict, { pipelineFile: file }));
    expect(second.message).toMatch(/^PolicyViolation: data\.source: ".*escape\/secret\.csv" resolves \(through a symlink\) to a path outside the allowed roots/);
    // `..` is resolved before the check, so it cannot leave a root either.
    const dotted = await writeDefinition(path.join(root, 'definitions'), fraudDefinition(path.join(root, '..', path.basename(outside), 'secret.csv'), { model: 'dotted' }), 'dotted.yaml');
    const third = await policyFailure(strict, await start(strict, { pipelineFile: dotted }));
    expect(third.message).toMatch(/^PolicyViolation: data\.source: .* is outside the allowed roots/);
  });

  it('runs a command trainer from a definition under a root; the same definition inline is refused, and accepted by a policy that allows it', async () => {
    const definition = linear({ ...fraudDefinition(data, { model: 'command-ok' }), train: { runtime: 'command', command: [process.execPath, commandTrainer], timeout: '2m' } });
    const file = await writeDefinition(path.join(root, 'definitions'), definition, 'command.yaml');
    const fromFile = await strict.run(() => start(strict, { pipelineFile: file }).then((h) => h.result()));
    expect(fromFile).toMatchObject({ outcome: 'registered' });

    await policyFailure(strict, await start(strict, { pipeline: { ...definition, model: 'command-inline' } }));

    const accepted = await lenient.run(() => start(lenient, { pipeline: { ...definition, model: 'command-inline' } }).then((h) => h.result()));
    expect(accepted).toMatchObject({ outcome: 'registered' });
  });
});
