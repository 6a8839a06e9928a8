/**
 * canaryRollout: ship a challenger to a slice of traffic, step by step, and promote it or roll
 * it back on its own. Each step holds an SLA window on durable timers while an analysis runs
 * every interval; the verdicts and decisions are pure functions in src/canary/.
 * approve / abort / pause / resume are honoured in every state; `status` returns the state.
 * One function whose inner steps (experiment, gates, hold, rollback) share the rollout's state
 * and its pending message, which is why it runs past the usual 400 lines rather than passing
 * that state around.
 */
import {
  CancellationScope,
  condition,
  ContinueAsNew,
  continueAsNew,
  isCancellation,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  allHandlersFinished,
  patched,
} from '@temporalio/workflow';
import type { DeployActivities } from '../activities/deploy-activities.js';
import { CanarySection, type PipelineDefinition, type DeploySection } from '../src/spec/schema.js';
import { durationToMs } from '../src/spec/duration.js';
import { classifyCheck } from '../src/canary/check.js';
import { applyDecision, decide, decideWhileStopped, initialState, pauseClock, recordCheck, startStep, stepWindowMs } from '../src/canary/decide.js';
import { describeCommand, nextAction, receiveCommand, type CanaryCommand } from '../src/canary/commands.js';
import { abortSignal, approvalUpdate, approveSignal, canaryStatusQuery, pauseSignal, resumeSignal } from './messages.js';
import { checkApprovalDecision, describeApproval } from '../src/canary/approval.js';
import { addKpiEvidence, compareKpi, describeKpiComparison, kpiEvidenceOf, NO_KPI_SUMS } from '../src/canary/kpi-comparison.js';
import type { CanaryOutcome, CanaryStatus } from './canary-status.js';
import type { ApprovalDecision, ApprovalGate } from '../src/temporal/canary-status.js';
import { MODEL, MODEL_VERSION, OUTCOME } from './search-attributes.js';
import { deploying, measuring, mustFinish, notifying, quick, rollingBack } from './canary-activities.js';

export interface CanaryRolloutInput {
  definition: PipelineDefinition;
  canaryVersion: number;
  championVersion?: number;
  /** State carried over continue-as-new. */
  carried?: CanaryStatus;
  /** A message received before continue-as-new and not yet acted on. */
  carriedCommand?: CanaryCommand;
  /**
   * Continue as new once the history has this many events, besides when the server suggests it
   * (at thousands of events): lets a test see a long experiment or step cross runs in seconds.
   */
  continueAsNewAfterEvents?: number;
}

/**
 * Runs started by an older version carry definitions without the fields added since (history
 * keeps the input as it was): the schema's defaults fill them, and the latency test, which such a
 * run never promised, stays off.
 */
function withDefaults(canary: Partial<CanarySection>): CanarySection {
  const defaults = CanarySection.parse({});
  return { ...defaults, latencyTest: { enabled: false, alpha: 0.01 }, ...canary, hardLimits: { ...defaults.hardLimits, ...canary.hardLimits } };
}

/** The innermost message of a failure (an ActivityFailure wraps the activity's own error). */
function failureMessage(err: unknown): string {
  let current = err as { message?: string; cause?: unknown } | undefined;
  while (current?.cause) current = current.cause as typeof current;
  return (current?.message ?? String(err)).slice(0, 500);
}

export async function canaryRollout(input: CanaryRolloutInput): Promise<CanaryOutcome> {
  const { definition, canaryVersion, championVersion } = input;
  const deploy = definition.deploy as DeploySection;
  const config = withDefaults(deploy.canary);
  const model = definition.model;
  const intervalMs = durationToMs(config.interval);
  const latencyTest = config.latencyTest;
  // Rollouts started before decisive evidence and early budgets existed replay the decisions they made.
  const decideConfig = { ...config, stopEarly: patched('canary-stop-early') };
  // The schema keeps metricsWindow ≤ interval, so each check counts only requests no earlier one did.
  const metricsWindowSeconds = Math.max(1, Math.round(durationToMs(config.metricsWindow ?? config.interval) / 1000));
  // The business KPIs the checks ask the metrics for: those the SLA bounds and those the experiment compares.
  const kpiNames = [...new Set([...Object.keys(config.sla.kpis ?? {}), ...(deploy.experiment?.kpis ?? [])])];

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
  // A message that arrived before continue-as-new and was not acted on yet comes along.
  let command: CanaryCommand | undefined = input.carriedCommand;
  const note = (message: string) => {
    status.events.push({ at: new Date().toISOString(), message });
    if (status.events.length > 100) status.events.splice(0, status.events.length - 100);
  };
  setHandler(approveSignal, (args) => {
    command = receiveCommand(command, { kind: 'approve', ...args }, status.outcome !== undefined);
  });
  setHandler(abortSignal, (args) => {
    command = receiveCommand(command, { kind: 'abort', ...args }, status.outcome !== undefined);
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
  let gateDecision: ApprovalDecision | undefined;
  setHandler(
    approvalUpdate,
    (decision) => {
      gateDecision = decision;
      return { gate: status.approval!.gate, decision: decision.decision, by: decision.by };
    },
    { validator: (decision) => checkApprovalDecision(status, gateDecision, decision) },
  );
  upsertSearchAttributes([{ key: MODEL, value: model }, { key: MODEL_VERSION, value: canaryVersion }]);

  let pausedAt: number | undefined;
  const remainingMs = () => (status.outcome ? undefined : Math.max(0, status.analysis.windowEndsAt - (pausedAt ?? Date.now())));

  try {
    if (!input.carried) {
      await deploying.deployVersion({ deploy, model, version: canaryVersion, withFaults: true, registry: definition.registry });
      if (championVersion !== undefined) await deploying.deployVersion({ deploy, model, version: championVersion, withFaults: false, registry: definition.registry });
      note(`deployed v${canaryVersion}${championVersion !== undefined ? ` beside champion v${championVersion}` : ''}`);
      if (deploy.approval?.beforeCanary) {
        const stopped = await awaitApproval('before-canary', false);
        if (stopped) return stopped;
      }
      if (championVersion === undefined) return await promote('first version of the model: nothing to compare with');
      if (deploy.shadow && patched('shadow-phase')) {
        const stopped = await shadowPhase(deploy.shadow, championVersion);
        if (stopped) return stopped;
      }
      if (deploy.experiment && patched('experiment')) return await experimentPhase(deploy.experiment);
    } else if (status.phase === 'experimenting' && deploy.experiment) {
      return await experimentPhase(deploy.experiment);
    } else if (status.phase === 'awaiting-approval' && status.approval?.gate === 'after-experiment' && deploy.experiment) {
      return await experimentDecision(deploy.experiment, true);
    } else if (status.phase === 'awaiting-approval' && status.approval?.gate === 'before-promotion') {
      return (await awaitApproval('before-promotion', true, deploy.approval, true)) ?? (await promote('every step passed its analysis'));
    }

    for (let stepIndex = Math.max(0, status.analysis.stepIndex); stepIndex < config.steps.length; stepIndex++) {
      const step = config.steps[stepIndex]!;
      if (!(input.carried && stepIndex === input.carried.analysis.stepIndex && status.weight === step.weight)) {
        if (command?.kind === 'abort') return await rollBack(describeCommand(command));
        await shiftTraffic(step.weight);
        status.analysis = startStep(status.analysis, stepIndex, step.weight, Date.now(), stepWindowMs(config, stepIndex));
        note(`step ${stepIndex + 1}/${config.steps.length}: ${step.weight}% on v${canaryVersion}`);
      }
      // A run that continued as new while held for a person goes on holding (no second alert).
      let stillHolding = input.carried !== undefined && status.phase === 'holding';
      status.phase = 'analysing';
      input.carried = undefined;

      let nextCheckAt = Date.now() + intervalMs;
      for (;;) {
        if (stillHolding) {
          stillHolding = false;
          status.phase = 'holding';
          const stopped = await monitorWhileStopped(() => command === undefined);
          if (stopped) return stopped;
        }
        // Sleep until the next check, unless a human says something first.
        const waitMs = nextCheckAt - Date.now();
        if (waitMs > 0) await condition(() => command !== undefined || status.paused, waitMs);
        const early = nextAction(command, undefined);
        if (early === 'rollback') return await rollBack(describeCommand(command!));
        if (early === 'promote') return await promote(describeCommand(command!));
        if (status.paused) {
          const stopped = await monitorWhilePaused();
          if (stopped) return stopped;
          nextCheckAt = Date.now() + intervalMs;
          continue;
        }

        const check = await measure();
        const now = Date.now();
        status.analysis = recordCheck(status.analysis, check, now);
        const decision = decide(status.analysis, now, decideConfig);
        status.analysis = applyDecision(status.analysis, decision, now);
        nextCheckAt = now + intervalMs;

        // A message that arrived while the measurement ran wins over the analysis (abort over everything).
        const action = nextAction(command, decision.action);
        if (action === 'rollback') return await rollBack(command?.kind === 'abort' ? describeCommand(command) : decision.reason);
        if (action === 'promote') return await promote(describeCommand(command!));
        if (action === 'advance') break;
        if (action === 'extend') {
          note(`window extended: ${decision.reason}`);
          await alert({ dedupKey: `canary/${model}/${canaryVersion}/extended`, severity: 'warning', kind: 'canary-extended', model, version: canaryVersion, summary: `${model} v${canaryVersion}: canary window extended (${decision.reason})` });
        }
        if (action === 'hold') {
          status.phase = 'holding';
          note(`holding for a human: ${decision.reason}`);
          await alert({ dedupKey: `canary/${model}/${canaryVersion}/held`, severity: 'warning', kind: 'canary-held', model, version: canaryVersion, summary: `${model} v${canaryVersion}: canary held at ${status.weight}%: ${decision.reason}. Approve or abort it.` });
          const stopped = await monitorWhileStopped(() => command === undefined);
          if (stopped) return stopped;
          continue;
        }
        if (historyIsLong()) return await continueAsNewCarrying();
      }
      note(`step ${stepIndex + 1} passed: ${status.analysis.decision?.reason ?? ''}`);
    }
    if (deploy.approval?.beforePromotion) {
      const stopped = await awaitApproval('before-promotion', true);
      if (stopped) return stopped;
    }
    return await promote('every step passed its analysis');
  } catch (err) {
    if (status.outcome) throw err;
    // Continuing as new is how a long rollout goes on, not a failure to roll back from.
    if (err instanceof ContinueAsNew && patched('continue-as-new-is-not-a-failure')) throw err;
    if (isCancellation(err)) {
      // A cancelled rollout must not leave the canary taking traffic.
      await CancellationScope.nonCancellable(() => rollBack('the rollout was cancelled'));
      throw err;
    }
    // Any failure of the machinery (an activity out of retries, a bug) must not leave the canary
    // serving with nothing watching it: traffic back to the champion, the version rejected, an alert.
    return await rollBack(`the rollout failed: ${failureMessage(err)}`);
  }

  /** One analysis check: the metrics of both versions over the last interval, classified. */
  async function measure() {
    return (await measureWithMetrics()).check;
  }

  async function measureWithMetrics() {
    // The latency test's threshold is the champion's p99 at the previous check: fixed before this check's data.
    const slowerThanMs = latencyTest.enabled && championVersion !== undefined ? (status.analysis.latencyThresholdMs ?? undefined) : undefined;
    const metrics = await measuring.measureVersions({ deploy, model, canaryVersion, championVersion, windowSeconds: metricsWindowSeconds, slowerThanMs, ...(kpiNames.length > 0 ? { kpis: kpiNames } : {}) });
    const check = classifyCheck({
      canary: metrics.canary,
      champion: metrics.champion,
      sla: config.sla,
      hardLimits: config.hardLimits,
      errorRateTest: config.errorRateTest,
      canaryWeight: status.weight,
      unavailableReason: metrics.unavailable,
      // The step's evidence so far: the tests against the champion are anytime-valid over the whole step.
      stepEvidence: status.analysis.evidence,
      latencyTest,
      stepLatencyEvidence: status.analysis.latencyEvidence,
      stepKpiEvidence: status.analysis.kpiEvidence,
    });
    return { check, metrics };
  }

  /**
   * Progression stops (held for a person, or paused) but monitoring does not: every interval a
   * check runs, and a hard limit or the fail-safe still rolls back. Returns the outcome if it did.
   */
  async function monitorWhileStopped(stillStopped: () => boolean, beforeContinueAsNew?: () => void): Promise<CanaryOutcome | undefined> {
    let errors = 0;
    while (stillStopped()) {
      if (await condition(() => !stillStopped(), intervalMs)) break;
      const { decision, consecutiveErrors } = decideWhileStopped(await measure(), errors, config);
      errors = consecutiveErrors;
      if (decision.action === 'rollback' && command?.kind !== 'approve') return await rollBack(`${decision.reason} (while ${status.phase})`);
      // Held over a long weekend at a check a minute outgrows a history: continue as new, still stopped.
      if (stillStopped() && historyIsLong() && patched('stopped-continue-as-new')) {
        beforeContinueAsNew?.();
        return await continueAsNewCarrying();
      }
    }
    return undefined;
  }

  /**
   * An approval gate: waits for the `approval` Update (or the approve/abort signals) until the
   * gate's timeout. With `monitor`, checks keep running and a hard limit rolls back meanwhile.
   * Returns the outcome when the rollout ended here, undefined when it goes on. `resumed`: the
   * gate was already waiting in the run that continued as new (its deadline, checks and alert stand).
   */
  async function awaitApproval(gate: ApprovalGate, monitor: boolean, approval: { timeout: string; onTimeout: 'reject' | 'proceed' } = deploy.approval!, resumed = false): Promise<CanaryOutcome | undefined> {
    const previousPhase = resumed ? (gate === 'after-experiment' ? 'experimenting' : 'analysing') : status.phase;
    if (!resumed || !status.approval) {
      gateDecision = undefined;
      status.phase = 'awaiting-approval';
      const deadlineAt = new Date(Date.now() + durationToMs(approval.timeout)).toISOString();
      status.approval = { gate, since: new Date().toISOString(), deadline: deadlineAt, onTimeout: approval.onTimeout, checks: 0 };
      note(`waiting for approval (${gate}) until ${status.approval.deadline}`);
      await alert({
        dedupKey: `canary/${model}/${canaryVersion}/approval/${gate}`,
        severity: 'warning',
        kind: 'canary-approval',
        model,
        version: canaryVersion,
        summary: `${model} v${canaryVersion} waits for approval ${gate === 'before-canary' ? 'before any live traffic' : gate === 'after-experiment' ? `after its experiment (${status.experiment?.report.map(describeKpiComparison).join('; ') ?? ''})` : `at ${status.weight}% before promotion`}: mlops canary approve|reject ${model} (at ${status.approval.deadline}: ${approval.onTimeout})`,
      });
    }
    input.carried = undefined;
    const deadline = Date.parse(status.approval.deadline);
    try {
      for (;;) {
        const remaining = deadline - Date.now();
        if (remaining <= 0 || gateDecision) break;
        const answered = await condition(() => gateDecision !== undefined || command !== undefined, monitor ? Math.min(intervalMs, remaining) : remaining);
        if (command?.kind === 'abort') return await rollBack(describeCommand(command));
        if (command?.kind === 'approve') {
          // The approve signal (older clients) answers the gate; it does not also skip what follows.
          gateDecision = { decision: 'approve', by: command.by ?? 'approve signal', reason: command.reason };
          command = undefined;
        }
        if (gateDecision || answered || !monitor || Date.now() >= deadline) continue;
        const check = await measure();
        status.approval.checks++;
        status.approval.lastCheck = { at: new Date().toISOString(), verdict: check.verdict, reasons: check.reasons };
        const { decision, consecutiveErrors } = decideWhileStopped(check, status.approval.consecutiveErrors ?? 0, config);
        status.approval.consecutiveErrors = consecutiveErrors;
        if (decision.action === 'rollback') return await rollBack(`${decision.reason} (while awaiting approval)`);
        // A gate may wait for days with a check every interval: the history must not outgrow its limit.
        if (!gateDecision && historyIsLong() && patched('approval-continue-as-new')) return await continueAsNewCarrying();
      }
    } finally {
      status.approval = undefined;
    }
    const decided = gateDecision ?? { decision: approval.onTimeout === 'proceed' ? 'approve' : 'reject', by: `timeout after ${approval.timeout}` };
    note(describeApproval(gate, decided));
    if (decided.decision === 'reject') return await rollBack(describeApproval(gate, decided));
    status.phase = previousPhase;
    return undefined;
  }

  /** A pause: monitoring goes on; the window and the breach clock stop for as long as it lasts. */
  async function monitorWhilePaused(): Promise<CanaryOutcome | undefined> {
    status.phase = 'paused';
    pausedAt = Date.now();
    // The pause so far stops the clock before a new run, which starts its own pause.
    const stopped = await monitorWhileStopped(() => status.paused && command === undefined, () => {
      status.analysis = pauseClock(status.analysis, Date.now() - pausedAt!);
    });
    status.analysis = pauseClock(status.analysis, Date.now() - pausedAt);
    pausedAt = undefined;
    if (!stopped) status.phase = 'analysing';
    return stopped;
  }

  async function shiftTraffic(weight: number): Promise<void> {
    const weights: Record<number, number> = championVersion === undefined ? { [canaryVersion]: 100 } : { [canaryVersion]: weight, [championVersion]: 100 - weight };
    await quick.setTrafficWeights({ deploy, model, weights });
    status.weight = weight;
  }

  async function promote(reason: string): Promise<CanaryOutcome> {
    status.phase = 'promoting';
    const weights: Record<number, number> = { [canaryVersion]: 100 };
    if (championVersion !== undefined) weights[championVersion] = 0;
    await mustFinish.setTrafficWeights({ deploy, model, weights });
    status.weight = 100;
    // Abort wins over anything not yet recorded as an outcome: the promotion is recorded just below.
    if (command?.kind === 'abort') return await rollBack(describeCommand(command));
    await mustFinish.promoteVersion({ definition, version: canaryVersion, reason: `canary promoted: ${reason}` });
    // Keep the previous champion deployed (at weight 0) for a fast rollback; retire older ones.
    const split = await quick.getTrafficSplit({ deploy, model });
    for (const version of Object.keys(split?.weights ?? {}).map(Number)) {
      if (version !== canaryVersion && version !== championVersion) await quick.retireVersion({ deploy, model, version });
    }
    return finish({ result: 'promoted', reason, version: canaryVersion, championVersion });
  }

  /**
   * Before any live traffic: the gateway mirrors a share of the requests to the canary (clients
   * get the champion's answers only), then the canary must pass the shadow gates on them.
   */
  async function shadowPhase(shadow: NonNullable<DeploySection['shadow']>, champion: number): Promise<CanaryOutcome | undefined> {
    status.phase = 'shadowing';
    const fromMs = Date.now();
    await deploying.setShadowTraffic({ deploy, model, mirror: { version: canaryVersion, percent: shadow.percent } });
    note(`shadow: ${shadow.percent}% of requests mirrored to v${canaryVersion} for ${shadow.duration}; clients get v${champion}'s answers`);
    await condition(() => command?.kind === 'abort', durationToMs(shadow.duration));
    await untilDone('stop shadow traffic', () => rollingBack.setShadowTraffic({ deploy, model, mirror: null }));
    if (command?.kind === 'abort') return rollBack(describeCommand(command));
    const analysis = await deploying.analyseShadowTraffic({ definition, championVersion: champion, shadowVersion: canaryVersion, fromMs, toMs: Date.now() });
    status.shadow = { passed: analysis.passed, summary: analysis.summary, reasons: analysis.reasons };
    note(analysis.summary);
    return analysis.passed ? undefined : rollBack(`shadow gates failed before any live traffic: ${analysis.reasons.join('; ')}`);
  }

  /**
   * An A/B experiment: a fixed split for the set duration, each check adding its KPI reports to the
   * report (anytime-valid, so reading it early is sound) while only hard limits and the fail-safe
   * act; then a person decides. Never promoted on its own.
   */
  async function experimentPhase(experiment: NonNullable<DeploySection['experiment']>): Promise<CanaryOutcome> {
    if (!status.experiment) {
      await shiftTraffic(experiment.percent);
      status.phase = 'experimenting';
      const startedAt = Date.now();
      // Reports before then may be feedback on requests served before the split (see experiment.warmup).
      const countFrom = startedAt + durationToMs(experiment.warmup ?? config.interval);
      status.experiment = {
        percent: experiment.percent, startedAt: new Date(startedAt).toISOString(), endsAt: new Date(startedAt + durationToMs(experiment.duration)).toISOString(),
        checks: 0, report: [], finished: false, countingFrom: new Date(countFrom).toISOString(), sums: {}, consecutiveErrors: 0,
      };
      note(`experiment: ${experiment.percent}% on v${canaryVersion} until ${status.experiment.endsAt}; comparing ${experiment.kpis.join(', ')} on reports from ${status.experiment.countingFrom}; a person decides`);
    } else {
      note(`experiment continued in a new run after ${status.experiment.checks} checks`);
    }
    const state = status.experiment;
    const endsAt = Date.parse(state.endsAt);
    const countFrom = Date.parse(state.countingFrom!);
    input.carried = undefined;
    while (Date.now() < endsAt) {
      await condition(() => command !== undefined, Math.min(intervalMs, endsAt - Date.now()));
      const early = nextAction(command, undefined);
      if (early === 'rollback') return rollBack(describeCommand(command!));
      if (early === 'promote') return promote(describeCommand(command!));
      const { check, metrics } = await measureWithMetrics();
      if (Date.now() - metricsWindowSeconds * 1000 >= countFrom) state.sums = addKpiEvidence(state.sums, kpiEvidenceOf(metrics.canary, metrics.champion, experiment.kpis));
      const sums = state.sums ?? {};
      state.checks++;
      state.report = experiment.kpis.map((kpi) => compareKpi(kpi, sums[kpi]?.canary ?? NO_KPI_SUMS, sums[kpi]?.champion ?? NO_KPI_SUMS, experiment.percent / 100, experiment.alpha));
      const { decision, consecutiveErrors } = decideWhileStopped(check, state.consecutiveErrors ?? 0, config);
      state.consecutiveErrors = consecutiveErrors;
      if (decision.action === 'rollback') return rollBack(`${decision.reason} (during the experiment)`);
      // Experiments run for days: one check an interval outgrows a history unless it continues as new.
      // (The patch is asked at the decision, so experiments already running when this shipped get it too.)
      if (Date.now() < endsAt && historyIsLong() && patched('experiment-continue-as-new')) return await continueAsNewCarrying();
    }
    status.experiment.finished = true;
    note(`experiment over after ${status.experiment.checks} checks: ${status.experiment.report.map(describeKpiComparison).join('; ')}`);
    return await experimentDecision(experiment, false);
  }

  /** After the experiment, a person decides: approve promotes, reject (or the timeout's reject) rolls back. */
  async function experimentDecision(experiment: NonNullable<DeploySection['experiment']>, resumed: boolean): Promise<CanaryOutcome> {
    const stopped = await awaitApproval('after-experiment', true, { timeout: experiment.decisionTimeout, onTimeout: experiment.onTimeout }, resumed);
    return stopped ?? promote(`the experiment was approved: ${status.experiment!.report.map(describeKpiComparison).join('; ')}`);
  }

  /** The server suggests continuing as new (or the test's threshold is reached). */
  function historyIsLong(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || (input.continueAsNewAfterEvents !== undefined && info.historyLength >= input.continueAsNewAfterEvents);
  }

  /** The state and any message not yet acted on go to the next run; updates in flight finish first. */
  async function continueAsNewCarrying(): Promise<never> {
    await condition(allHandlersFinished);
    return await continueAsNew<typeof canaryRollout>({ ...input, carried: status, carriedCommand: command });
  }

  async function rollBack(reason: string): Promise<CanaryOutcome> {
    status.phase = 'rolling-back';
    // Traffic first: the champion takes everything before anything else happens.
    if (championVersion !== undefined) await untilDone('move traffic back to the champion', () => rollingBack.setTrafficWeights({ deploy, model, weights: { [championVersion]: 100, [canaryVersion]: 0 } }));
    status.weight = 0;
    await untilDone('retire the canary', () => rollingBack.retireVersion({ deploy, model, version: canaryVersion }));
    await untilDone('reject the version', () => rollingBack.rejectVersion({ definition, version: canaryVersion, reason: `canary rolled back: ${reason}` }));
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

  /** A rollback step never gives up: after each round of retries it alerts, waits and tries again. */
  async function untilDone(what: string, work: () => Promise<unknown>): Promise<void> {
    for (let round = 1; ; round++) {
      try {
        await work();
        return;
      } catch (err) {
        if (isCancellation(err)) throw err;
        note(`rollback could not ${what} (round ${round}): ${failureMessage(err)}`);
        await alert({ dedupKey: `canary/${model}/${canaryVersion}/rollback-stuck`, severity: 'critical', kind: 'canary-rollback-stuck', model, version: canaryVersion, summary: `${model} v${canaryVersion}: rollback cannot ${what}: ${failureMessage(err)}; retrying` });
        await sleep(Math.min(round, 8) * 15_000);
      }
    }
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
