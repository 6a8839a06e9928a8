/**
 * modelPipeline: load the definition → snapshot data → check the data contract → train →
 * evaluate the gates → register (challenger if every gate passed, rejected otherwise).
 * Deterministic: all I/O happens in activities; this file reads like the runbook.
 */
import {
  ApplicationFailure,
  ActivityFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  executeChild,
  startChild,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { PipelineActivities } from '../activities/pipeline-activities.js';
import type { DeployActivities } from '../activities/deploy-activities.js';
import type { AlertsSection } from '../src/spec/schema.js';
import { PipelineRunInput, type PipelineRunInput as PipelineRunInputType } from '../src/spec/run-input.js';
import { problemsFromZod, formatProblems } from '../src/spec/problems.js';
import { containerDeploySettings } from '../src/spec/schema.js';
import { pipelineStatusQuery } from './messages.js';
import type { PipelineOutcome, PipelineResult, PipelineStatus, PipelineStepName } from './pipeline-status.js';
import { DATA_VERSION, MODEL, MODEL_VERSION, OUTCOME, TRIGGER } from './search-attributes.js';
import { canaryRollout, type CanaryRolloutInput } from './canaryRollout.js';
import { requestRolloutSlot, type RolloutSlot } from './rolloutSlot.js';
import { abortSignal } from '../src/temporal/contract.js';
import type { CanaryOutcome } from './canary-status.js';

/** Alerts are retried a little, then given up: a paging outage must not fail the pipeline. */
const notifying = proxyActivities<DeployActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 5 },
});

/** Quick steps: seconds of work, retried a few times for transient I/O errors. */
const quick = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
});

export async function modelPipeline(rawInput: PipelineRunInputType): Promise<PipelineResult> {
  const status: PipelineStatus = { trigger: 'ui', steps: [] };
  setHandler(pipelineStatusQuery, () => status);

  const parsed = PipelineRunInput.safeParse(rawInput ?? {}, { reportInput: true });
  if (!parsed.success) {
    return fail(status, 'invalid-definition', formatProblems(problemsFromZod(parsed.error), 'workflow input'), 'InvalidPipelineInput');
  }
  const input = parsed.data;
  status.trigger = input.trigger;
  upsertSearchAttributes([{ key: TRIGGER, value: input.trigger }]);

  const { definition, definitionHash } = await step(status, 'load-definition', () => quick.loadPipelineDefinition(input), (d) => `model ${d.definition.model}, definition ${d.definitionHash.slice(0, 12)}`);
  status.model = definition.model;
  status.alerts = definition.alerts;
  upsertSearchAttributes([{ key: MODEL, value: definition.model }]);

  const snapshot = await step(status, 'snapshot-data', () => quick.snapshotData({ definition, expectedDataVersion: input.expectedDataVersion, dataObject: input.dataObject }), (s) => `data version ${s.dataVersion} (${s.format}, ${s.sizeBytes} bytes)`);
  status.dataVersion = snapshot.dataVersion;
  upsertSearchAttributes([{ key: DATA_VERSION, value: snapshot.dataVersion }]);

  await step(status, 'check-contract', () => quick.checkDataContract({ definition, snapshot }), (c) => `${c.checks} checks passed on ${c.rowCount} rows`);

  const { train: trainSpec } = definition;
  const long = proxyActivities<PipelineActivities>({
    startToCloseTimeout: trainSpec.timeout,
    heartbeatTimeout: '15 seconds',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 3 },
  });
  const model = await step(status, 'train', () => long.trainModel({ definition, snapshot }), (m) => `${m.trainer}: ${m.summary}`);

  const evaluation = await step(status, 'evaluate', () => long.evaluateModel({ definition, snapshot, model }), (e) => `${e.gates.filter((g) => g.passed).length}/${e.gates.length} gates passed${e.championVersion ? `, champion v${e.championVersion}` : ''}`);
  status.metrics = evaluation.metrics;
  status.gates = evaluation.gates;

  const { workflowId, runId } = workflowInfo();
  const registered = await step(status, 'register', () =>
    quick.registerModelVersion({ definition, definitionHash, snapshot, model, evaluation, trigger: input.trigger, workflowId, runId }),
    (r) => `version ${r.version} (${r.status})`);

  status.version = registered.version;
  if (registered.status === 'rejected' && patched('pipeline-alerts')) {
    await alert(definition.alerts, {
      dedupKey: `gates/${definition.model}/${registered.version}`, severity: 'warning', kind: 'gate-failed', model: definition.model, version: registered.version,
      summary: `${definition.model} v${registered.version} rejected by its gates: ${evaluation.reasons.join('; ')}`,
    });
  }
  // Runs recorded before the canary step set the version together with the outcome.
  const versionBeforeCanary = patched('version-before-canary');
  if (versionBeforeCanary) upsertSearchAttributes([{ key: MODEL_VERSION, value: registered.version }]);
  // The container target runs each version from its own image, built and pushed after registration.
  // patched() last: runs recorded before this step (none could use the container target) replay unchanged.
  if (registered.status === 'candidate' && definition.deploy?.target === 'container' && patched('build-serving-image')) {
    const container = containerDeploySettings(definition.deploy);
    const building = proxyActivities<PipelineActivities>({
      startToCloseTimeout: container.buildTimeout,
      heartbeatTimeout: container.buildHeartbeatTimeout,
      retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 4 },
    });
    await step(status, 'build-image', () => building.buildServingImage({ definition, version: registered.version }),
      (i) => `${i.reference} ${i.digest.slice(0, 19)}…${i.skipped ? ' (already in the registry)' : ` (built in ${i.buildSeconds.toFixed(1)} s, pushed in ${i.pushSeconds.toFixed(1)} s)`}`);
  }
  let canary: CanaryOutcome | undefined;
  let skipped: string | undefined;
  if (registered.status === 'candidate' && definition.deploy) {
    const canaryInput = { definition, canaryVersion: registered.version, championVersion: evaluation.championVersion };
    if (patched('one-rollout-per-model')) {
      // One canary per model at a time (deploy.concurrency); the slot is given back whatever happens.
      const slot = await requestRolloutSlot(definition.model, registered.version, definition.deploy.concurrency);
      try {
        const answer = await step(status, 'rollout-slot', () => slot.answer(), (a) => (a.granted ? 'granted' : `not granted: ${a.reason}`));
        if (!answer.granted) skipped = answer.reason;
        else canary = await step(status, 'canary', () => runCanary(canaryInput, input.trigger, slot), (c) => `${c.result}: ${c.reason}`);
      } finally {
        await CancellationScope.nonCancellable(() => slot.release());
      }
    } else {
      canary = await step(status, 'canary', () => executeChild(canaryRollout, canaryChildOptions(canaryInput, input.trigger)), (c) => `${c.result}: ${c.reason}`);
    }
  }
  const outcome = canary?.result ?? (skipped !== undefined ? 'skipped' : registered.status === 'rejected' ? 'rejected' : 'registered');
  status.outcome = outcome;
  status.reasons = skipped !== undefined ? [...evaluation.reasons, `not rolled out: ${skipped}`] : evaluation.reasons;
  upsertSearchAttributes([...(versionBeforeCanary ? [] : [{ key: MODEL_VERSION, value: registered.version }]), { key: OUTCOME, value: outcome }]);
  upsertMemo({ summary: `${definition.model} v${registered.version} ${outcome}${evaluation.reasons.length ? `: ${evaluation.reasons.join('; ')}` : ''}` });

  return {
    model: definition.model,
    outcome,
    version: registered.version,
    status: registered.status,
    dataVersion: snapshot.dataVersion,
    metrics: evaluation.metrics,
    gates: evaluation.gates,
    reasons: canary?.result === 'rolled-back' ? [...evaluation.reasons, `canary rolled back: ${canary.reason}`] : status.reasons,
    steps: status.steps,
    canary,
  };
}

function canaryChildOptions(canaryInput: CanaryRolloutInput, trigger: string) {
  const { definition, canaryVersion } = canaryInput;
  return {
    workflowId: `canary/${definition.model}/${canaryVersion}`,
    args: [canaryInput] as [CanaryRolloutInput],
    // Cancelling the pipeline cancels the canary, which then rolls back.
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    typedSearchAttributes: [{ key: MODEL, value: definition.model }, { key: MODEL_VERSION, value: canaryVersion }, { key: TRIGGER, value: trigger }],
  };
}

/** The canary as a child; a newer run superseding this one (deploy.concurrency supersede) aborts it, so it rolls back first. */
async function runCanary(canaryInput: CanaryRolloutInput, trigger: string, slot: RolloutSlot): Promise<CanaryOutcome> {
  const child = await startChild(canaryRollout, canaryChildOptions(canaryInput, trigger));
  void condition(() => slot.supersededBy() !== undefined).then(() =>
    child.signal(abortSignal, { by: 'lifecycle', reason: `superseded by ${slot.supersededBy()}` }).catch(() => undefined));
  return child.result();
}

/** Runs one step, records it in the status with its timing, and turns a failure into a readable outcome. */
async function step<T>(status: PipelineStatus, name: PipelineStepName, run: () => Promise<T>, summarise: (result: T) => string): Promise<T> {
  const record: PipelineStatus['steps'][number] = { step: name, startedAt: new Date().toISOString() };
  status.currentStep = name;
  status.steps.push(record);
  try {
    const result = await run();
    finishRecord(record);
    record.summary = summarise(result);
    return result;
  } catch (err) {
    finishRecord(record);
    const cause = (err instanceof ActivityFailure || err instanceof ChildWorkflowFailure) && err.cause instanceof ApplicationFailure ? err.cause : undefined;
    record.error = innermostMessage(err);
    const outcome: PipelineOutcome =
      cause?.type === 'SpecError' ? 'invalid-definition' : cause?.type === 'DataContractViolation' ? 'contract-violation' : 'failed';
    if (outcome === 'contract-violation' && status.model && patched('pipeline-alerts')) {
      await alert(status.alerts, {
        dedupKey: `contract/${status.model}/${status.dataVersion ?? 'unknown'}`, severity: 'error', kind: 'contract-violation', model: status.model,
        summary: `${status.model}: data ${status.dataVersion ?? ''} violates its contract; the pipeline stopped. ${record.error.split('\n')[0]}`,
        details: { error: record.error },
      });
    }
    return fail(status, outcome, record.error, cause?.type ?? 'PipelineStepFailed');
  }
}

function finishRecord(record: PipelineStatus['steps'][number]): void {
  record.finishedAt = new Date().toISOString();
  record.seconds = (Date.parse(record.finishedAt) - Date.parse(record.startedAt)) / 1000;
}

/** Ends the run as failed, non-retryable, with the message a person needs to fix the input. */
function fail(status: PipelineStatus, outcome: PipelineOutcome, message: string, type: string): never {
  status.outcome = outcome;
  status.currentStep = undefined;
  upsertSearchAttributes([{ key: OUTCOME, value: outcome }]);
  upsertMemo({ summary: `${status.model ?? 'pipeline'} ${outcome}: ${message.split('\n')[0]}` });
  throw ApplicationFailure.nonRetryable(message, type);
}

/** Sends an alert to the definition's sinks; a failed delivery never fails the pipeline. */
async function alert(alerts: AlertsSection | undefined, event: Omit<Parameters<DeployActivities['sendAlert']>[0], 'alerts'>): Promise<void> {
  try {
    await notifying.sendAlert({ ...event, alerts });
  } catch {
    // Recorded in the activity's failure; the run's outcome stands on its own.
  }
}

/** The message of the deepest cause: "Child Workflow execution failed" alone helps nobody. */
function innermostMessage(err: unknown): string {
  let current = err as Error | undefined;
  while (current && (current as { cause?: Error }).cause) current = (current as { cause?: Error }).cause;
  return current?.message ?? String(err);
}
