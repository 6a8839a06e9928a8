/**
 * The step decisions of the canary analysis as pure functions over the counted state
 * (argo-rollouts style). The workflow, every interval:
 *
 *   const check = classifyCheck({ ...section, canary: canaryStats, champion: championStats, canaryWeight: state.weight, stepEvidence: state.evidence });
 *   state = recordCheck(state, check, now);
 *   const decision = decide(state, now, section);
 *   state = applyDecision(state, decision, now);
 *
 * Only checks with evidence (pass, fail) move a verdict; inconclusive checks (too little traffic)
 * and error checks (no metrics) neither start, extend nor clear a breach. decide's rules, first
 * match wins:
 * 1. a check of this step crossed a hard limit → rollback;
 * 2. consecutiveErrorLimit checks in a row without metrics → rollback (fail-safe);
 * 3. the latest check's anytime-valid test against the champion (errors or latency) is decisive →
 *    rollback: the tests are valid at any stopping time, so waiting for the window adds nothing;
 * 3b. more failing checks in the step than `failureLimit` (when set; Argo's meaning), or more than
 *    `maxFailureShare` of all the checks the window can hold → rollback: the budget is spent
 *    whatever the rest of the window brings;
 * 4. a run of failing checks spanning the whole window → rollback. A failing check stands for the
 *    interval before it, so a run spans lastFailAt − firstFailAt + interval; paused time is
 *    taken out (pauseClock);
 * 5. before the window ends → continue;
 * 6. the window is over and more than `maxFailureShare` of the step's checks with evidence failed
 *    (with at least `minChecksWithEvidence` of them) → rollback: the failure budget is spent, so a
 *    canary that flaps (failing stretches each shorter than the window) is caught;
 * 7. the window is over during a breach → continue while checks with evidence keep coming (the
 *    breach then clears, or spans the window); a whole window without one → not enough evidence;
 * 8. fewer than `minChecksWithEvidence` checks with evidence → not enough evidence: extend while
 *    onInsufficientEvidence is 'extend' and extensions < maxExtensions, else hold for a person;
 * 9. the latest check with evidence passed → advance (never without a pass);
 * 10. the latest check had no metrics → continue until one has (or the fail-safe fires), for at
 *     most a window after the latest check with evidence; then not enough evidence (rule 8).
 */
import type { CanarySection } from '../spec/schema.js';
import { durationToMs } from '../spec/duration.js';
import type { CheckResult } from './check.js';
import { addErrorCounts, NO_ERROR_COUNTS } from './error-rate-test.js';
import { addKpiEvidence } from './kpi-comparison.js';
import {
  MAX_RECORDED_CHECKS, NO_CHECKS,
  type CanaryAnalysisState, type CheckCounters, type Decision, type RecordedCheck, type StepSummary,
} from './analysis-state.js';

export type DecideConfig = Pick<CanarySection, 'consecutiveErrorLimit' | 'onInsufficientEvidence' | 'maxExtensions' | 'failureLimit' | 'maxFailureShare' | 'minChecksWithEvidence' | 'interval'> & {
  /**
   * Rules 3 and 3b (decisive evidence, a budget spent before the window ends); default on. Off only
   * for rollouts started before they existed, which must replay the decisions they made.
   */
  stopEarly?: boolean;
};

/** The SLA window of a step: its own `slaWindow`, else the section's. */
export function stepWindowMs(canary: Pick<CanarySection, 'steps' | 'slaWindow'>, stepIndex: number): number {
  return durationToMs(canary.steps[stepIndex]?.slaWindow ?? canary.slaWindow);
}

/** The state before the first step (stepIndex −1, no window); startStep(state, 0, …) begins step 0. */
export function initialState(): CanaryAnalysisState {
  return startStep({ history: [] }, -1, 0, 0, 0);
}

/** A fresh step; the history of finished steps is kept. */
export function startStep(
  state: Pick<CanaryAnalysisState, 'history'> & Partial<Pick<CanaryAnalysisState, 'latencyThresholdMs'>>, stepIndex: number, weight: number, now: number, windowMs: number,
): CanaryAnalysisState {
  return {
    stepIndex, weight, windowStartedAt: now, windowEndsAt: now + windowMs, windowMs, extensions: 0,
    checks: [], counters: NO_CHECKS, evidence: NO_ERROR_COUNTS, latencyEvidence: NO_ERROR_COUNTS, latencyThresholdMs: state.latencyThresholdMs ?? null,
    decision: null, history: state.history,
  };
}

export function recordCheck(state: CanaryAnalysisState, check: CheckResult, at: number): CanaryAnalysisState {
  const recorded: RecordedCheck = { ...check, at };
  const { requests, errors, championRequests, championErrors } = check.numbers;
  const paired = requests !== null && errors !== null && championRequests !== null && championErrors !== null;
  return {
    ...state,
    checks: [...state.checks, recorded].slice(-MAX_RECORDED_CHECKS),
    counters: countCheck(state.counters, check, at),
    evidence: paired
      ? addErrorCounts(state.evidence, { canaryRequests: requests, canaryErrors: errors, championRequests, championErrors })
      : state.evidence,
    latencyEvidence: check.numbers.slow && requests !== null && championRequests !== null
      ? addErrorCounts(state.latencyEvidence ?? NO_ERROR_COUNTS, { canaryRequests: requests, canaryErrors: check.numbers.slow.canary, championRequests, championErrors: check.numbers.slow.champion })
      : state.latencyEvidence,
    latencyThresholdMs: check.numbers.championLatencyP99Ms ?? state.latencyThresholdMs ?? null,
    ...(check.numbers.kpis ? { kpiEvidence: addKpiEvidence(state.kpiEvidence, check.numbers.kpis) } : {}),
  };
}

function countCheck(counters: CheckCounters, check: CheckResult, at: number): CheckCounters {
  const next = { ...counters, [check.verdict]: counters[check.verdict] + 1, hardLimit: counters.hardLimit + (check.hardLimit ? 1 : 0) };
  switch (check.verdict) {
    case 'pass':
      return { ...next, consecutivePass: counters.consecutivePass + 1, consecutiveFail: 0, consecutiveError: 0, firstFailAt: null, lastFailAt: null, lastEvidenceAt: at, latestVerdictIgnoringInconclusive: 'pass' };
    case 'fail':
      return { ...next, consecutiveFail: counters.consecutiveFail + 1, consecutivePass: 0, consecutiveError: 0, firstFailAt: counters.firstFailAt ?? at, lastFailAt: at, lastEvidenceAt: at, latestVerdictIgnoringInconclusive: 'fail' };
    case 'inconclusive':
      return { ...next, consecutivePass: 0, consecutiveError: 0 };
    case 'error':
      return { ...next, consecutivePass: 0, consecutiveError: counters.consecutiveError + 1, latestVerdictIgnoringInconclusive: 'error' };
  }
}

/** How long the current run of failing checks spans (each stands for the interval before it); null when none runs. */
export function breachDuration(counters: CheckCounters, intervalMs: number): number | null {
  return counters.firstFailAt === null || counters.lastFailAt === null ? null : counters.lastFailAt - counters.firstFailAt + intervalMs;
}

/** The step's failure budget is spent: more failing checks than failureLimit, or (once the window is over) too large a failing share. */
function spentBudget(state: CanaryAnalysisState, config: DecideConfig, windowOver: boolean, early = false): string | null {
  const { pass, fail } = state.counters;
  if (config.failureLimit !== undefined && fail > config.failureLimit) return `${fail} failing checks > failureLimit ${config.failureLimit}`;
  // More failures than the share allows of every check the window can hold: spent, whatever comes next.
  const capacity = Math.floor((state.windowEndsAt - state.windowStartedAt) / durationToMs(config.interval));
  if (early && !windowOver && capacity > 0 && fail >= config.minChecksWithEvidence && fail > config.maxFailureShare * capacity) {
    return `${fail} failing checks > maxFailureShare ${config.maxFailureShare} of the ${capacity} checks the window holds`;
  }
  const withEvidence = pass + fail;
  if (windowOver && withEvidence >= config.minChecksWithEvidence && fail / withEvidence > config.maxFailureShare) {
    return `${fail} of ${withEvidence} checks with evidence failed (maxFailureShare ${config.maxFailureShare})`;
  }
  return null;
}

/**
 * A pause of `ms` taken out of the step's clocks: the window and the breach move by as much, so a
 * breach before a pause and one check after it do not add up to the pause's length.
 */
export function pauseClock(state: CanaryAnalysisState, ms: number): CanaryAnalysisState {
  const shift = (t: number | null) => (t === null ? null : t + ms);
  const { counters } = state;
  return {
    ...state,
    windowStartedAt: state.windowStartedAt + ms,
    windowEndsAt: state.windowEndsAt + ms,
    counters: { ...counters, firstFailAt: shift(counters.firstFailAt), lastFailAt: shift(counters.lastFailAt), lastEvidenceAt: shift(counters.lastEvidenceAt) },
  };
}

export function decide(state: CanaryAnalysisState, now: number, config: DecideConfig): Decision {
  const { counters, windowMs } = state;
  if (counters.hardLimit > 0) return { action: 'rollback', reason: `hard limit: ${latestReasons(state, (check) => check.hardLimit)}` };
  if (counters.consecutiveError >= config.consecutiveErrorLimit) {
    return {
      action: 'rollback',
      reason: `fail-safe: no metrics for ${counters.consecutiveError} checks in a row (consecutiveErrorLimit ${config.consecutiveErrorLimit})`,
    };
  }
  const stopEarly = config.stopEarly ?? true;
  const latest = state.checks.at(-1);
  if (stopEarly && latest?.decisive) return { action: 'rollback', reason: `decisive evidence against the canary: ${latest.reasons.filter((r) => r.includes('vs champion')).join('; ')}` };
  const windowOver = now >= state.windowEndsAt;
  const countLimit = spentBudget(state, config, stopEarly && windowOver, stopEarly);
  if (countLimit) return { action: 'rollback', reason: `failure budget spent in the ${formatDuration(windowMs)} window: ${countLimit}; ${latestReasons(state, (check) => check.verdict === 'fail')}` };
  const breachFor = breachDuration(counters, durationToMs(config.interval));
  if (breachFor !== null && breachFor >= windowMs) {
    return {
      action: 'rollback',
      reason: `SLA breached for ${formatDuration(breachFor)}, the whole ${formatDuration(windowMs)} window: ${latestReasons(state, (check) => check.verdict === 'fail')}`,
    };
  }
  const failing = breachFor === null ? '' : `; failing for ${formatDuration(breachFor)} of ${formatDuration(windowMs)}`;
  if (!windowOver) {
    return { action: 'continue', reason: `window ends in ${formatDuration(state.windowEndsAt - now)}; ${tally(counters)}${failing}` };
  }
  const budget = spentBudget(state, config, true);
  if (budget) return { action: 'rollback', reason: `failure budget spent in the ${formatDuration(windowMs)} window: ${budget}; ${latestReasons(state, (check) => check.verdict === 'fail')}` };
  if (breachFor !== null) {
    if (counters.lastEvidenceAt !== null && now - counters.lastEvidenceAt < windowMs) {
      return { action: 'continue', reason: `window over during a breach${failing}: waiting until it clears or lasts the window` };
    }
    return insufficientEvidence(state, config);
  }
  if (counters.pass + counters.fail < config.minChecksWithEvidence) return insufficientEvidence(state, config);
  if (counters.latestVerdictIgnoringInconclusive === 'pass') {
    return { action: 'advance', reason: `window over, latest check passed; ${tally(counters)}` };
  }
  if (counters.lastEvidenceAt !== null && now - counters.lastEvidenceAt < windowMs) {
    return { action: 'continue', reason: `window over but the latest check had no metrics: waiting for one that has; ${tally(counters)}` };
  }
  // Inconclusive checks reset the fail-safe's count but are no evidence: never wait on them forever.
  return insufficientEvidence(state, config);
}

/**
 * While a rollout holds for a person or is paused, progression stops but monitoring does not: each
 * interval's check can still roll back, on a hard limit or when consecutiveErrorLimit checks in a
 * row have no metrics (the fail-safe). Nothing else moves the rollout.
 */
export function decideWhileStopped(
  check: CheckResult, consecutiveErrors: number, config: Pick<CanarySection, 'consecutiveErrorLimit'>,
): { decision: Decision; consecutiveErrors: number } {
  if (check.hardLimit) return { decision: { action: 'rollback', reason: `hard limit: ${check.reasons.join('; ') || 'no reason recorded'}` }, consecutiveErrors: 0 };
  const errors = check.verdict === 'error' ? consecutiveErrors + 1 : 0;
  if (errors >= config.consecutiveErrorLimit) {
    return { decision: { action: 'rollback', reason: `fail-safe: no metrics for ${errors} checks in a row (consecutiveErrorLimit ${config.consecutiveErrorLimit})` }, consecutiveErrors: errors };
  }
  return { decision: { action: 'continue', reason: 'stopped: monitoring for hard limits and the fail-safe only' }, consecutiveErrors: errors };
}

function insufficientEvidence(state: CanaryAnalysisState, config: DecideConfig): Decision {
  const evidence = `not enough evidence: ${state.counters.pass + state.counters.fail} checks with evidence (minChecksWithEvidence ${config.minChecksWithEvidence}); ${tally(state.counters)}`;
  if (config.onInsufficientEvidence === 'extend' && state.extensions < config.maxExtensions) {
    return { action: 'extend', reason: `${evidence}; extending the window (${state.extensions + 1} of ${config.maxExtensions})` };
  }
  const afterExtensions = config.onInsufficientEvidence === 'extend' ? ` after ${state.extensions} extensions` : '';
  return { action: 'hold', reason: `${evidence}; holding for a person${afterExtensions}` };
}

/**
 * Keeps the decision in the state. 'extend' moves the window's end one window past now;
 * 'advance' and 'rollback' finish the step (its summary goes to history, once).
 */
export function applyDecision(state: CanaryAnalysisState, decision: Decision, now: number): CanaryAnalysisState {
  const next = { ...state, decision };
  if (decision.action === 'extend') {
    return { ...next, extensions: state.extensions + 1, windowEndsAt: Math.max(now, state.windowEndsAt) + state.windowMs };
  }
  if (decision.action !== 'advance' && decision.action !== 'rollback') return next;
  const last = state.history.at(-1);
  if (last && last.stepIndex === state.stepIndex && last.startedAt === state.windowStartedAt) return next;
  const summary: StepSummary = {
    stepIndex: state.stepIndex, weight: state.weight, startedAt: state.windowStartedAt, endedAt: now,
    extensions: state.extensions, counters: state.counters, evidence: state.evidence, decision,
  };
  return { ...next, history: [...state.history, summary] };
}

function latestReasons(state: CanaryAnalysisState, matches: (check: RecordedCheck) => boolean): string {
  const check = state.checks.findLast(matches);
  return check && check.reasons.length > 0 ? check.reasons.join('; ') : 'no reason recorded';
}

function tally(counters: CheckCounters): string {
  return `${counters.pass} passed, ${counters.fail} failed, ${counters.inconclusive} inconclusive, ${counters.error} without metrics`;
}

/** 900000 → '15m', 5400000 → '1h30m', 90000 → '1m30s'. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const seconds = Math.round(ms / 1000);
  const parts = [[Math.floor(seconds / 3600), 'h'], [Math.floor((seconds % 3600) / 60), 'm'], [seconds % 60, 's']] as const;
  return parts.filter(([value]) => value > 0).map(([value, unit]) => `${value}${unit}`).join('');
}
