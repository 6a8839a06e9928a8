/**
 * canaryRollout: ship a challenger to a slice of traffic, step by step, and promote it or roll
 * it back on its own. Each step holds an SLA window on durable timers while an analysis runs
 * every interval; the verdicts and decisions are pure functions in src/canary/.
 * approve / abort / pause / resume are honoured in every state; `status` returns the state.
 */
import {
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import type { DeployActivities } from '../activities/deploy-activities.js';
import type { PipelineDefinition, DeploySection } from '../src/spec/schema.js';
import { durationToMs } from '../src/spec/duration.js';
import { classifyCheck } from '../src/canary/check.js';
import { applyDecision, decide, initialState, recordCheck, startStep, stepWindowMs } from '../src/canary/decide.js';
import { abortSignal, approveSignal, canaryStatusQuery, pauseSignal, resumeSignal } from './messages.js';
import type { CanaryOutcome, CanaryStatus } from './canary-status.js';
import { MODEL, MODEL_VERSION, OUTCOME } from './search-attributes.js';

export interface CanaryRolloutInput {
  definition: PipelineDefinition;
  canaryVersion: number;
  championVersion?: number;
  /** State carried over continue-as-new. */
  carried?: CanaryStatus;
}

const quick = proxyActivities<DeployActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '10 seconds', maximumAttempts: 5 },
});
const deploying = proxyActivities<DeployActivities>({
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5 },
});
/** Measurements must not stall the window: one quick retry, then the check counts as an error. */
const measuring = proxyActivities<DeployActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '500 milliseconds', maximumAttempts: 2 },
});
/** Alerts are retried a little, then given up: a paging outage must not stall a rollback. */
const notifying = proxyActivities<DeployActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 5 },
});
/** Rolling back must finish: it keeps retrying until the gateway answers. */
const mustFinish = proxyActivities<DeployActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '10 seconds' },
});

type Command = { kind: 'approve' | 'abort'; by?: string; reason?: string };

export async function canaryRollout(input: CanaryRolloutInput): Promise<CanaryOutcome> {
  const { definition, canaryVersion, championVersion } = input;
  const deploy = definition.deploy as DeploySection;
  const config = deploy.canary;
  const model = definition.model;
  const intervalMs = durationToMs(config.interval);
  const metricsWindowSeconds = Math.max(1, Math.round(durationToMs(config.metricsWindow ?? config.interval) / 1000));

  const status: CanaryStatus = input.carried ?? {
    model,
    canaryVersion,
    championVersion,
    phase: 'deploying',
    weight: 0,
    paused: false,
    analysis: initialState(),
    events: [],
  };
  let command: Command | undefined;
  const note = (message: string) => {
    status.events.push({ at: new Date().toISOString(), message });
    if (status.events.length > 100) status.events.splice(0, status.events.length - 100);
  };
  setHandler(approveSignal, (args) => {
    if (!status.outcome && command?.kind !== 'abort') command = { kind: 'approve', ...args };
  });
  setHandler(abortSignal, (args) => {
    if (!status.outcome) command = { kind: 'abort', ...args };
  });
  setHandler(pauseSignal, (args) => {
    if (!status.paused && !status.outcome) note(`paused${args?.by ? ` by ${args.by}` : ''}`);
    status.paused = !status.outcome;
  });
  setHandler(resumeSignal, (args) => {
    if (status.paused) note(`resumed${args?.by ? ` by ${args.by}` : ''}`);
    status.paused = false;
  });
  setHandler(canaryStatusQuery, () => ({ ...status, windowRemainingMs: remainingMs() }));
  upsertSearchAttributes([{ key: MODEL, value: model }, { key: MODEL_VERSION, value: canaryVersion }]);

  let pausedAt: number | undefined;
  const remainingMs = () => (status.outcome ? undefined : Math.max(0, status.analysis.windowEndsAt - (pausedAt ?? Date.now())));

  try {
    if (!input.carried) {
      await deploying.deployVersion({ deploy, model, version: canaryVersion, withFaults: true, registry: definition.registry });
      if (championVersion !== undefined) await deploying.deployVersion({ deploy, model, version: championVersion, withFaults: false, registry: definition.registry });
      note(`deployed v${canaryVersion}${championVersion !== undefined ? ` beside champion v${championVersion}` : ''}`);
      if (championVersion === undefined) return await promote('first version of the model: nothing to compare with');
    }

    for (let stepIndex = Math.max(0, status.analysis.stepIndex); stepIndex < config.steps.length; stepIndex++) {
      const step = config.steps[stepIndex]!;
      if (!(input.carried && stepIndex === input.carried.analysis.stepIndex && status.weight === step.weight)) {
        await shiftTraffic(step.weight);
        status.analysis = startStep(status.analysis, stepIndex, step.weight, Date.now(), stepWindowMs(config, stepIndex));
        note(`step ${stepIndex + 1}/${config.steps.length}: ${step.weight}% on v${canaryVersion}`);
      }
      status.phase = 'analysing';
      input.carried = undefined;

      let nextCheckAt = Date.now() + intervalMs;
      for (;;) {
        // Sleep until the next check, unless a human says something first.
        const waitMs = nextCheckAt - Date.now();
        if (waitMs > 0) await condition(() => command !== undefined || status.paused, waitMs);
        if (command?.kind === 'abort') return await rollBack(`aborted${command.by ? ` by ${command.by}` : ''}${command.reason ? `: ${command.reason}` : ''}`);
        if (command?.kind === 'approve') return await promote(`approved${command.by ? ` by ${command.by}` : ''}${command.reason ? `: ${command.reason}` : ''}`);
        if (status.paused) {
          const shift = await waitWhilePaused();
          nextCheckAt += shift;
          continue;
        }

        const metrics = await measuring.measureVersions({ deploy, model, canaryVersion, championVersion, windowSeconds: metricsWindowSeconds });
        const check = classifyCheck({
          canary: metrics.canary,
          champion: metrics.champion,
          sla: config.sla,
          hardLimits: config.hardLimits,
          errorRateTest: config.errorRateTest,
          canaryWeight: status.weight,
          unavailableReason: metrics.unavailable,
          // The step's evidence so far: the errors-vs-champion test is anytime-valid over the whole step.
          stepEvidence: status.analysis.evidence,
        });
        const now = Date.now();
        status.analysis = recordCheck(status.analysis, check, now);
        const decision = decide(status.analysis, now, config);
        status.analysis = applyDecision(status.analysis, decision, now);
        nextCheckAt = now + intervalMs;

        if (decision.action === 'rollback') return await rollBack(decision.reason);
        if (decision.action === 'advance') break;
        if (decision.action === 'extend') {
          note(`window extended: ${decision.reason}`);
          await alert({ dedupKey: `canary/${model}/${canaryVersion}/extended`, severity: 'warning', kind: 'canary-extended', model, version: canaryVersion, summary: `${model} v${canaryVersion}: canary window extended (${decision.reason})` });
        }
        if (decision.action === 'hold') {
          status.phase = 'holding';
          note(`holding for a human: ${decision.reason}`);
          await alert({ dedupKey: `canary/${model}/${canaryVersion}/held`, severity: 'warning', kind: 'canary-held', model, version: canaryVersion, summary: `${model} v${canaryVersion}: canary held at ${status.weight}%: ${decision.reason}. Approve or abort it.` });
          await condition(() => command !== undefined);
          continue;
        }
        if (workflowInfo().continueAsNewSuggested) {
          await condition(allHandlersFinished);
          return await continueAsNew<typeof canaryRollout>({ ...input, carried: status });
        }
      }
      note(`step ${stepIndex + 1} passed: ${status.analysis.decision?.reason ?? ''}`);
    }
    return await promote('every step passed its analysis');
  } catch (err) {
    if (isCancellation(err) && !status.outcome) {
      // A cancelled rollout must not leave the canary taking traffic.
      await CancellationScope.nonCancellable(() => rollBack('the rollout was cancelled'));
    }
    throw err;
  }

  async function shiftTraffic(weight: number): Promise<void> {
    const weights: Record<number, number> = championVersion === undefined ? { [canaryVersion]: 100 } : { [canaryVersion]: weight, [championVersion]: 100 - weight };
    await quick.setTrafficWeights({ deploy, model, weights });
    status.weight = weight;
  }

  /** Returns how long the pause lasted; the window and the next check move by as much. */
  async function waitWhilePaused(): Promise<number> {
    status.phase = 'paused';
    pausedAt = Date.now();
    await condition(() => !status.paused || command !== undefined);
    const shift = Date.now() - pausedAt;
    pausedAt = undefined;
    status.analysis = { ...status.analysis, windowEndsAt: status.analysis.windowEndsAt + shift, windowStartedAt: status.analysis.windowStartedAt + shift };
    status.phase = 'analysing';
    return shift;
  }

  async function promote(reason: string): Promise<CanaryOutcome> {
    status.phase = 'promoting';
    const weights: Record<number, number> = { [canaryVersion]: 100 };
    if (championVersion !== undefined) weights[championVersion] = 0;
    await mustFinish.setTrafficWeights({ deploy, model, weights });
    status.weight = 100;
    await mustFinish.promoteVersion({ definition, version: canaryVersion, reason: `canary promoted: ${reason}` });
    // Keep the previous champion deployed (at weight 0) for a fast rollback; retire older ones.
    const split = await quick.getTrafficSplit({ deploy, model });
    for (const version of Object.keys(split?.weights ?? {}).map(Number)) {
      if (version !== canaryVersion && version !== championVersion) await quick.retireVersion({ deploy, model, version });
    }
    return finish({ result: 'promoted', reason, version: canaryVersion, championVersion });
  }

  async function rollBack(reason: string): Promise<CanaryOutcome> {
    status.phase = 'rolling-back';
    // Traffic first: the champion takes everything before anything else happens.
    if (championVersion !== undefined) await mustFinish.setTrafficWeights({ deploy, model, weights: { [championVersion]: 100, [canaryVersion]: 0 } });
    status.weight = 0;
    await mustFinish.retireVersion({ deploy, model, version: canaryVersion });
    await mustFinish.rejectVersion({ definition, version: canaryVersion, reason: `canary rolled back: ${reason}` });
    await alert({
      dedupKey: `canary/${model}/${canaryVersion}/rollback`,
      severity: 'critical',
      kind: 'canary-rollback',
      model,
      version: canaryVersion,
      summary: `${model} v${canaryVersion} rolled back: ${reason}`,
      details: { championVersion, lastCheck: status.analysis.checks.at(-1) },
    });
    return finish({ result: 'rolled-back', reason, version: canaryVersion, championVersion });
  }

  /** Sends an alert to the definition's sinks; a failed delivery is noted, never fatal. */
  async function alert(event: Parameters<DeployActivities['sendAlert']>[0]): Promise<void> {
    try {
      await notifying.sendAlert({ ...event, alerts: definition.alerts });
    } catch (err) {
      note(`alert not delivered: ${(err as Error).message}`);
    }
  }

  function finish(outcome: CanaryOutcome): CanaryOutcome {
    status.outcome = outcome;
    status.phase = outcome.result;
    note(`${outcome.result}: ${outcome.reason}`);
    upsertSearchAttributes([{ key: OUTCOME, value: outcome.result }]);
    upsertMemo({ summary: `${model} v${canaryVersion} ${outcome.result}: ${outcome.reason}` });
    return outcome;
  }
}
