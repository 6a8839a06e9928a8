import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WorkflowFailedError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createWorkflowTestEnvironment, type WorkflowTestEnvironment } from '../support/workflow-environment.js';
import { fraudDefinition as fraudDefinitionFor, makeDataset, makeWorkspace, writeDefinition } from '../support/pipeline-fixtures.js';
import { mlflowUnavailableReason, startMlflow, type RunningMlflow } from '../support/mlflow-server.js';
import { openRegistry } from '../../src/registry/open-registry.js';
import { startPipeline } from '../../src/temporal/start-pipeline.js';
import { pipelineStatusQuery } from '../../workflows/messages.js';
import type { PipelineResult } from '../../workflows/pipeline-status.js';
import type { PipelineRunInput } from '../../src/spec/run-input.js';
import type { PipelineDefinitionInput, RegistrySection } from '../../src/spec/schema.js';
import { MODEL, MODEL_VERSION, OUTCOME, TRIGGER, DATA_VERSION } from '../../workflows/search-attributes.js';

let env: WorkflowTestEnvironment;
let dir: string;

beforeAll(async () => {
  env = await createWorkflowTestEnvironment();
  dir = await makeWorkspace();
});
afterAll(async () => env?.close());

/** One suite, two registries: the same workflow tests against the embedded registry and a real MLflow server. */
const REGISTRIES = ['embedded', 'mlflow'] as const;
const mlflowProblem = await mlflowUnavailableReason('the modelPipeline workflow tests on the MLflow registry');

async function execute(input: PipelineRunInput, workflowId = `test/${randomUUID()}`) {
  const handle = await env.client.workflow.start('modelPipeline', { taskQueue: env.settings.taskQueue, workflowId, args: [input] });
  return { handle, result: handle.result() as Promise<PipelineResult> };
}

describe.each(REGISTRIES)('modelPipeline with the %s registry', (kind) => {
  let mlflow: RunningMlflow | undefined;
  let goodData: string;
  beforeAll(async () => {
    if (kind === 'mlflow' && mlflowProblem === undefined) mlflow = await startMlflow();
    // Each registry gets its own data (another seed), so business-key workflow IDs never collide.
    goodData = await makeDataset(dir, `good-${kind}.csv`, { seed: kind === 'embedded' ? 11 : 12 });
  });
  afterAll(async () => mlflow?.stop());
  beforeEach((context) => {
    if (kind === 'mlflow' && mlflowProblem !== undefined) context.skip(`MLflow unavailable: ${mlflowProblem}`);
  });

  const registrySection = (): RegistrySection => (kind === 'mlflow' ? mlflow!.registrySection() : { kind: 'embedded' });
  const fraudDefinition = (source: string, overrides: Partial<PipelineDefinitionInput> = {}) => fraudDefinitionFor(source, { registry: registrySection(), ...overrides });
  async function registry() {
    return openRegistry(registrySection(), { dataDir: env.settings.dataDir });
  }

  it('trains, evaluates and registers a model as challenger, findable by its search attributes', async () => {
    const file = await writeDefinition(dir, fraudDefinition(goodData, { model: 'happy' }));
    const { handle, result } = await execute({ pipelineFile: file, trigger: 'cli' });
    const outcome = await env.run(() => result);

    expect(outcome.outcome).toBe('registered');
    expect(outcome.version).toBe(1);
    expect(outcome.steps.map((s) => s.step)).toEqual(['load-definition', 'snapshot-data', 'check-contract', 'train', 'evaluate', 'register']);
    expect(outcome.metrics.roc_auc).toBeGreaterThan(0.7);
    expect(outcome.gates).toEqual([expect.objectContaining({ gate: 'metric:roc_auc', passed: true })]);

    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(MODEL)).toBe('happy');
    expect(description.typedSearchAttributes.get(MODEL_VERSION)).toBe(1);
    expect(description.typedSearchAttributes.get(OUTCOME)).toBe('registered');
    expect(description.typedSearchAttributes.get(TRIGGER)).toBe('cli');
    expect(description.typedSearchAttributes.get(DATA_VERSION)).toBe(outcome.dataVersion);
    expect(description.memo?.summary).toContain('happy v1 registered');

    const reg = await registry();
    const version = await reg.getVersionByAlias('happy', 'challenger');
    expect(version?.version).toBe(1);
    expect(version?.status).toBe('candidate');
    expect(version?.lineage).toMatchObject({ workflowId: handle.workflowId, trainer: 'builtin:logistic_regression', codeVersion: 'test', trigger: 'cli' });
    expect(version?.lineage.dataVersion.startsWith(outcome.dataVersion)).toBe(true);
    await reg.close();
  });

  it('answers the status query with the current step and the steps so far', async () => {
    const file = await writeDefinition(dir, fraudDefinition(goodData, { model: 'status-query' }), 'status.yaml');
    const { handle, result } = await execute({ pipelineFile: file });
    await env.run(async () => {
      const seen = new Set<string>();
      while (true) {
        const status = await handle.query(pipelineStatusQuery);
        if (status.currentStep) seen.add(status.currentStep);
        if (status.outcome) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await result;
      const final = await handle.query(pipelineStatusQuery);
      expect(final.outcome).toBe('registered');
      expect(final.steps).toHaveLength(6);
      expect(final.steps.every((s) => s.finishedAt && s.seconds !== undefined && s.summary)).toBe(true);
      expect(seen.size).toBeGreaterThan(0);
    });
  });

  it('stops on a data contract violation with a non-retryable failure that lists each failed check', async () => {
    const definition = fraudDefinition(goodData, { model: 'contract' });
    definition.data.contract = { minRows: 1_000_000, columns: { amount: { type: 'number', max: 10 }, region: { type: 'string', allowed: ['north'] } } };
    const file = await writeDefinition(dir, definition, 'contract.yaml');
    const { handle, result } = await execute({ pipelineFile: file });
    const error = await env.run(() => result.then(() => undefined, (e: unknown) => e));

    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('DataContractViolation');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toMatch(/min_rows|at least 1000000|1,000,000/i);
    expect(cause.message).toMatch(/amount/);
    expect(cause.message).toMatch(/region/);
    expect(cause.message).toMatch(/rows? \d+/);
    expect((await handle.describe()).typedSearchAttributes.get(OUTCOME)).toBe('contract-violation');
    const reg = await registry();
    expect(await reg.listVersions('contract').catch(() => [])).toEqual([]);
    await reg.close();
  });

  it('registers a model that fails a gate as rejected, with the reason', async () => {
    const file = await writeDefinition(dir, fraudDefinition(goodData, { model: 'gated', evaluate: { gates: { roc_auc: { min: 0.999 }, log_loss: { max: 5 } } } }), 'gated.yaml');
    const { result } = await execute({ pipelineFile: file });
    const outcome = await env.run(() => result);

    expect(outcome.outcome).toBe('rejected');
    expect(outcome.reasons).toHaveLength(1);
    expect(outcome.reasons[0]).toMatch(/roc_auc/);
    const reg = await registry();
    const stored = await reg.getVersion('gated', outcome.version);
    expect(stored?.status).toBe('rejected');
    expect(stored?.rejectionReasons).toEqual(outcome.reasons);
    expect(stored?.gates.map((g) => [g.gate, g.passed])).toEqual([['metric:roc_auc', false], ['metric:log_loss', true]]);
    expect(stored?.aliases).toEqual([]);
    await reg.close();
  });

  it('rejects a challenger that is worse than the champion on the same hold-out', async () => {
    const champion = fraudDefinition(goodData, { model: 'champ', evaluate: { gates: { champion: { metric: 'roc_auc', maxRegression: 0.01 } } } });
    const first = await env.run(async () => (await execute({ pipelineFile: await writeDefinition(dir, champion, 'champ.yaml') })).result);
    expect(first.outcome).toBe('registered');
    const reg = await registry();
    await reg.setAlias('champ', 'champion', first.version);

    // A challenger that sees one weak feature only: clearly worse on the same hold-out rows.
    const challenger = { ...champion, data: { ...champion.data, features: ['hour_of_day'] } };
    const second = await env.run(async () => (await execute({ pipelineFile: await writeDefinition(dir, challenger, 'champ2.yaml') })).result);

    expect(second.outcome).toBe('rejected');
    expect(second.reasons.join(' ')).toMatch(/champion/);
    const stored = await reg.getVersion('champ', second.version);
    expect(stored?.lineage.parentVersion).toBe(first.version);
    expect(stored?.gates[0]).toMatchObject({ gate: 'champion:roc_auc', passed: false });
    expect((await reg.getVersionByAlias('champ', 'champion'))?.version).toBe(first.version);
    await reg.close();
  });

  it('trains with a user command (the command runtime) and evaluates its model on our hold-out', async () => {
    const definition = fraudDefinition(goodData, {
      model: 'by-command',
      train: { runtime: 'command', command: ['node', path.resolve('examples/command-trainer/train.mjs'), '--train', '{train}', '--holdout', '{holdout}', '--output', '{output}'], timeout: '2m' },
      evaluate: { holdout: 0.25, seed: 3, gates: { roc_auc: { min: 0.6 } } },
    });
    const { result } = await execute({ pipelineFile: await writeDefinition(dir, definition, 'command.yaml') });
    const outcome = await env.run(() => result);
    expect(outcome.outcome).toBe('registered');
    expect(outcome.steps.find((s) => s.step === 'train')?.summary).toMatch(/^command:node .*train\.mjs/);
    const reg = await registry();
    const version = await reg.getVersion('by-command', outcome.version);
    expect(version?.lineage.trainer).toMatch(/^command:node/);
    expect(version?.metrics.roc_auc).toBeCloseTo(outcome.metrics.roc_auc!, 12);
    await reg.close();
  });

  it('starts one run per model and data version: a second start attaches, a finished run is not repeated', async () => {
    const file = await writeDefinition(dir, fraudDefinition(goodData, { model: 'idempotent' }), 'idem.yaml');
    const first = await startPipeline(env.client, env.settings, file, 'cli');
    const second = await startPipeline(env.client, env.settings, file, 'cli');
    expect(first.existing).toBe(false);
    expect(second.existing).toBe(true);
    expect(second.workflowId).toBe(first.workflowId);
    expect(first.workflowId).toBe(`pipeline/idempotent/${first.dataVersion}`);
    const outcome = await env.run(() => first.handle.result());
    const third = await startPipeline(env.client, env.settings, file, 'cli');
    expect(third.existing).toBe(true);
    expect((await third.handle.result()).version).toBe(outcome.version);
    await expect(env.client.workflow.start('modelPipeline', {
      taskQueue: env.settings.taskQueue, workflowId: first.workflowId, args: [{ pipelineFile: file }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    })).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    const reg = await registry();
    expect((await reg.listVersions('idempotent')).map((v) => v.version)).toEqual([1]);
    await reg.close();
  });

  it('fails at once, without retrying, on a misspelled input field as typed into the Web UI', async () => {
    const { handle, result } = await execute({ pipelineFle: 'examples/fraud/pipeline.yaml' } as unknown as PipelineRunInput);
    const error = await env.run(() => result.then(() => undefined, (e: unknown) => e));
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('InvalidPipelineInput');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toContain('pipelineFle: unknown field');
    const history = await handle.fetchHistory();
    expect(history.events?.some((e) => e.activityTaskScheduledEventAttributes)).toBe(false);
  });

  it('fails at once with the path and expectation for a bad inline definition', async () => {
    const definition = fraudDefinition(goodData, { model: 'inline' }) as Record<string, unknown>;
    (definition.evaluate as Record<string, unknown>).gates = { roc_auc: { min: 'high' } };
    const { handle, result } = await execute({ pipeline: definition });
    const error = await env.run(() => result.then(() => undefined, (e: unknown) => e));
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('SpecError');
    expect(cause.message).toContain('evaluate.gates.roc_auc.min: expected a number between 0 and 1, got "high"');
    const history = await handle.fetchHistory();
    const attempts = history.events?.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes?.attempt);
    expect(attempts).toEqual([1]);
    expect((await handle.describe()).typedSearchAttributes.get(OUTCOME)).toBe('invalid-definition');
  });
});
