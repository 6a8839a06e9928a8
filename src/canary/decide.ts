/**
 * The step decisions of the canary analysis as pure functions over the counted state
 * (argo-rollouts style). The workflow, every interval:
 *
 *   const check = classifyCheck({ ...section, canary: canaryStats, champion: championStats, canaryWeight: state.weight, stepEvidence: state.evidence });
 *   state = recordCheck(state, check, now);
 *   const decision = decide(state, now, section);
 *   state = applyDecision(state, decision, now);
 *
 * decide's rules, first match wins:
 * 1. a check of this step crossed a hard limit → rollback;
 * 2. consecutiveErrorLimit checks in a row without metrics → rollback (fail-safe);
 * 3. a run of failures that has lasted a whole window (now − firstFailAt ≥ windowMs) → rollback;
 *    a breach shorter than the window never rolls back (see CheckCounters for how inconclusive and
 *    error checks inside a run count);
 * 4. before the window ends → continue;
 * 5. the window is over but a breach is running → continue: the window stretches until the breach
 *    clears (then 6) or lasts a whole window (then 3);
 * 6. the latest verdict other than inconclusive is a pass → advance (never without a pass);
 * 7. there were passes but the latest check had no metrics → continue until a check has them
 *    (or the fail-safe fires): a step is not promoted on stale numbers;
 * 8. no pass at all (only inconclusive and error checks) → extend while onInsufficientEvidence is
 *    'extend' and extensions < maxExtensions, else hold for a person.
 */
import type { CanarySection } from '../spec/schema.js';
import { durationToMs } from '../spec/duration.js';
import type { CheckResult } from './check.js';
import { addErrorCounts, NO_ERROR_COUNTS } from './error-rate-test.js';
import {
  MAX_RECORDED_CHECKS, NO_CHECKS,
  type CanaryAnalysisState, type CheckCounters, type Decision, type RecordedCheck, type StepSummary,
} from './analysis-state.js';

export type DecideConfig = Pick<CanarySection, 'consecutiveErrorLimit' | 'onInsufficientEvidence' | 'maxExtensions'>;

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
  state: Pick<CanaryAnalysisState, 'history'>, stepIndex: number, weight: number, now: number, windowMs: number,
): CanaryAnalysisState {
  return {
    stepIndex, weight, windowStartedAt: now, windowEndsAt: now + windowMs, windowMs, extensions: 0,
    checks: [], counters: NO_CHECKS, evidence: NO_ERROR_COUNTS, decision: null, history: state.history,
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
  };
}

function countCheck(counters: CheckCounters, check: CheckResult, at: number): CheckCounters {
  const next = { ...counters, [check.verdict]: counters[check.verdict] + 1, hardLimit: counters.hardLimit + (check.hardLimit ? 1 : 0) };
  switch (check.verdict) {
    case 'pass':
      return { ...next, consecutivePass: counters.consecutivePass + 1, consecutiveFail: 0, consecutiveError: 0, firstFailAt: null, latestVerdictIgnoringInconclusive: 'pass' };
    case 'fail':
      return { ...next, consecutiveFail: counters.consecutiveFail + 1, consecutivePass: 0, consecutiveError: 0, firstFailAt: counters.firstFailAt ?? at, latestVerdictIgnoringInconclusive: 'fail' };
    case 'inconclusive':
      return { ...next, consecutivePass: 0, consecutiveError: 0 };
    case 'error':
      return { ...next, consecutivePass: 0, consecutiveError: counters.consecutiveError + 1, latestVerdictIgnoringInconclusive: 'error' };
  }
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
  const breachFor = counters.firstFailAt === null ? null : now - counters.firstFailAt;
  if (breachFor !== null && breachFor >= windowMs) {
    return {
      action: 'rollback',
      reason: `SLA breached for ${formatDuration(breachFor)}, the whole ${formatDuration(windowMs)} window: ${latestReasons(state, (check) => check.verdict === 'fail')}`,
    };
  }
  const failing = breachFor === null ? '' : `; failing for ${formatDuration(breachFor)} of ${formatDuration(windowMs)}`;
  if (now < state.windowEndsAt) {
    return { action: 'continue', reason: `window ends in ${formatDuration(state.windowEndsAt - now)}; ${tally(counters)}${failing}` };
  }
  if (breachFor !== null) {
    return { action: 'continue', reason: `window over during a breach${failing}: waiting until it clears or lasts the window` };
  }
  if (counters.latestVerdictIgnoringInconclusive === 'pass') {
    return { action: 'advance', reason: `window over, latest check passed; ${tally(counters)}` };
  }
  if (counters.pass > 0) {
    return { action: 'continue', reason: `window over but the latest check had no metrics: waiting for one that has; ${tally(counters)}` };
  }
  return insufficientEvidence(state, config);
}

function insufficientEvidence(state: CanaryAnalysisState, config: DecideConfig): Decision {
  const evidence = `not enough evidence: no passing check; ${tally(state.counters)}`;
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
