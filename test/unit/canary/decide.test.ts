import { describe, expect, it } from 'vitest';
import { MAX_RECORDED_CHECKS, type CanaryAnalysisState } from '../../../src/canary/analysis-state.js';
import { classifyCheck, type CheckResult, type Verdict } from '../../../src/canary/check.js';
import {
  applyDecision, decide, formatDuration, initialState, recordCheck, startStep, stepWindowMs, type DecideConfig,
} from '../../../src/canary/decide.js';
import type { VersionStats } from '../../../src/serving/gateway-contract.js';
import { CanarySection } from '../../../src/spec/schema.js';
import { scenarioNamed } from './canary-fixtures.js';

const MINUTE = 60_000;
const WINDOW = 15 * MINUTE;
const START = 1_700_000_000_000;
const defaults = CanarySection.parse({});
const hold: DecideConfig = { ...defaults, consecutiveErrorLimit: 4, onInsufficientEvidence: 'hold', maxExtensions: 2 };
const extend: DecideConfig = { ...hold, onInsufficientEvidence: 'extend' };
/** The breach rules alone: a failure share of 1 is never exceeded, so the budget never trips. */
const breachOnly: DecideConfig = { ...hold, maxFailureShare: 1 };

const NUMBERS = {
  requests: 1000, errors: 2, errorRate: 0.002, latencyP99Ms: 80, accuracy: null, labeled: 0,
  championRequests: 19_000, championErrors: 19, championErrorRate: 0.001, canaryShare: 0.05, bayesFactor: 1,
};

/** A check with a given verdict; 'hard' is a fail that crossed a hard limit. */
function check(verdict: Verdict | 'hard'): CheckResult {
  switch (verdict) {
    case 'pass': return { verdict, hardLimit: false, reasons: [], numbers: NUMBERS };
    case 'fail': return { verdict, hardLimit: false, reasons: ['error rate 0.034 > max 0.01'], numbers: { ...NUMBERS, errors: 34, errorRate: 0.034 } };
    case 'hard': return { verdict: 'fail', hardLimit: true, reasons: ['error rate 0.3 > hard limit 0.2'], numbers: { ...NUMBERS, errors: 300, errorRate: 0.3 } };
    case 'inconclusive': return { verdict, hardLimit: false, reasons: ['12 requests < minSamples 50'], numbers: { ...NUMBERS, requests: 12, errors: 0 } };
    case 'error': return {
      verdict, hardLimit: false, reasons: ['metrics unavailable'],
      numbers: Object.fromEntries(Object.keys(NUMBERS).map((key) => [key, null])) as unknown as CheckResult['numbers'],
    };
  }
}

const CODES = { P: 'pass', F: 'fail', H: 'hard', I: 'inconclusive', E: 'error' } as const;

/**
 * A step started at START with one check a minute, the i-th (0-based) at START + (i + 1) minutes:
 * 'PPFI' is pass at 1m, pass at 2m, fail at 3m, inconclusive at 4m.
 */
function stepWith(checks: string, state = startStep(initialState(), 0, 5, START, WINDOW)): CanaryAnalysisState {
  return [...checks.replaceAll(' ', '')].reduce(
    (current, code, i) => recordCheck(current, check(CODES[code as keyof typeof CODES]), START + (i + 1) * MINUTE),
    state,
  );
}

const at = (minutes: number) => START + minutes * MINUTE;

describe('decide', () => {
  it.each([
    // promote path
    { name: 'passes for the whole window', checks: 'PPPPP PPPPP PPPPP', now: 15, action: 'advance', reason: 'window over, latest check passed; 15 passed, 0 failed, 0 inconclusive, 0 without metrics' },
    { name: 'passes before the window ends', checks: 'PPPPP PPPPP PPPP', now: 14, action: 'continue', reason: 'window ends in 1m; 14 passed, 0 failed, 0 inconclusive, 0 without metrics' },
    { name: 'a quiet last minute after passes', checks: 'PPPPP PPPPP PPPPI', now: 15, action: 'advance' },
    // a breach shorter than the window never rolls back
    { name: 'a 5-minute breach that cleared', checks: 'PPPPP FFFFF PPPPP', now: 15, action: 'advance' },
    { name: 'a breach of 14 failing checks before the window ends', checks: 'FFFFF FFFFF FFFF', now: 14, action: 'continue', config: breachOnly, reason: 'window ends in 1m; 0 passed, 14 failed, 0 inconclusive, 0 without metrics; failing for 14m of 15m' },
    // a breach lasting the whole window rolls back at the check that completes it (each failing check stands for its interval)
    { name: 'a breach lasting the whole window', checks: 'FFFFF FFFFF FFFFF', now: 15, action: 'rollback', config: breachOnly, reason: 'SLA breached for 15m, the whole 15m window: error rate 0.034 > max 0.01' },
    { name: 'a breach with quiet minutes inside it', checks: 'FIFIF IFIFI FIFIF F', now: 16, action: 'rollback', config: breachOnly },
    { name: 'a breach with metrics gaps inside it', checks: 'FFEFF EFFFE FFFEF F', now: 16, action: 'rollback', config: breachOnly },
    // the budget is spent before the window ends once more checks failed than the share allows of all it can hold
    { name: '8 failing checks of the 15 a window holds', checks: 'FFFFF FFF', now: 8, action: 'rollback', reason: 'failure budget spent in the 15m window: 8 failing checks > maxFailureShare 0.5 of the 15 checks the window holds; error rate 0.034 > max 0.01' },
    { name: '7 failing checks of the 15 a window holds', checks: 'FFFFF FF', now: 7, action: 'continue' },
    // inconclusive checks neither extend nor clear a breach: thin traffic is not evidence
    { name: 'one failing check, then only inconclusive ones', checks: 'FIIII IIIII IIIII I', now: 16, action: 'hold' },
    // a pass does not reset the failure budget: a flapping canary rolls back when the window ends
    { name: 'a breach cleared by one pass, then failing again', checks: 'FFFFF FFFFP FFFFF F', now: 16, action: 'rollback', reason: 'failure budget spent in the 15m window: 15 of 16 checks with evidence failed (maxFailureShare 0.5); error rate 0.034 > max 0.01' },
    // breach at the window's end
    { name: 'a breach at the window end', checks: 'PPPPP PPPPP FFFFF', now: 15, action: 'continue' },
    { name: 'a breach at the window end that clears', checks: 'PPPPP PPPPP FFFFF P', now: 16, action: 'advance' },
    { name: 'a breach at the window end lasting 5 more minutes', checks: 'PPPPP PPPPP FFFFF FFFFF', now: 20, action: 'continue', config: breachOnly },
    { name: 'a breach at the window end lasting the window', checks: 'PPPPP PPPPP FFFFF FFFFF FFFFF', now: 25, action: 'rollback', config: breachOnly, reason: 'SLA breached for 15m, the whole 15m window: error rate 0.034 > max 0.01' },
    // hard limit: at once, even before the window ends
    { name: 'a hard limit', checks: 'PPH', now: 3, action: 'rollback', reason: 'hard limit: error rate 0.3 > hard limit 0.2' },
    { name: 'a hard limit followed by passes', checks: 'HPP', now: 3, action: 'rollback' },
    // fail-safe
    { name: '3 checks without metrics', checks: 'PEEE', now: 4, action: 'continue' },
    { name: '4 checks without metrics', checks: 'PEEEE', now: 5, action: 'rollback', reason: 'fail-safe: no metrics for 4 checks in a row (consecutiveErrorLimit 4)' },
    { name: 'metrics gaps broken by a quiet minute', checks: 'EEEIEEE', now: 7, action: 'continue' },
    { name: 'passes, then no metrics at the window end', checks: 'PPPPP PPPPP PPPPE', now: 15, action: 'continue', reason: 'window over but the latest check had no metrics: waiting for one that has; 14 passed, 0 failed, 0 inconclusive, 1 without metrics' },
    { name: 'passes, no metrics at the window end, then a pass', checks: 'PPPPP PPPPP PPPPE P', now: 16, action: 'advance' },
    // too little evidence
    { name: 'only inconclusive checks (hold)', checks: 'IIIII IIIII IIIII', now: 15, action: 'hold', reason: 'not enough evidence: 0 checks with evidence (minChecksWithEvidence 2); 0 passed, 0 failed, 15 inconclusive, 0 without metrics; holding for a person' },
    { name: 'inconclusive and metrics gaps (hold)', checks: 'IIEII IEEII IEIII', now: 15, action: 'hold' },
    { name: 'no checks at all (hold)', checks: '', now: 15, action: 'hold' },
    { name: 'only inconclusive checks (extend)', checks: 'IIIII IIIII IIIII', now: 15, action: 'extend', config: extend, reason: 'not enough evidence: 0 checks with evidence (minChecksWithEvidence 2); 0 passed, 0 failed, 15 inconclusive, 0 without metrics; extending the window (1 of 2)' },
  ])('$name → $action', ({ checks, now, action, reason, config }) => {
    const decision = decide(stepWith(checks), at(now), config ?? hold);
    expect(decision.action).toBe(action);
    if (reason) expect(decision.reason).toBe(reason);
  });

  it('never advances without a pass in the step', () => {
    for (const checks of ['', 'I', 'E', 'IE', 'IIIIIIIIIIIIIIII', 'EIEIEIEIEIEIEIEI']) {
      for (const now of [15, 16, 30, 600]) {
        for (const config of [hold, extend]) expect(decide(stepWith(checks), at(now), config).action).not.toBe('advance');
      }
    }
  });

  it('extends up to maxExtensions, then holds', () => {
    let state = stepWith('IIIII IIIII IIIII');
    const actions: string[] = [];
    for (let minute = 15; actions.length < 3; minute += 15) {
      const decision = decide(state, at(minute), extend);
      actions.push(decision.action);
      state = applyDecision(state, decision, at(minute));
      expect(decide(state, at(minute), extend).action).toBe(decision.action === 'extend' ? 'continue' : 'hold');
    }
    expect(actions).toEqual(['extend', 'extend', 'hold']);
    expect(state.extensions).toBe(2);
    expect(state.decision?.reason).toMatch(/holding for a person after 2 extensions$/);
  });

  it('honours consecutiveErrorLimit', () => {
    expect(decide(stepWith('EE'), at(2), { ...hold, consecutiveErrorLimit: 2 }).action).toBe('rollback');
    expect(decide(stepWith('EE'), at(2), { ...hold, consecutiveErrorLimit: 3 }).action).toBe('continue');
  });

  it('measures a breach by its failing checks, not by the clock: without new evidence it holds, never rolls back', () => {
    const state = stepWith('PPPPP PPPPP FFFFF');
    expect(decide(state, at(26), hold).action).toBe('continue');
    expect(decide(state, at(30), hold).action).toBe('hold');
  });
});

describe('recordCheck', () => {
  it.each([
    { checks: 'PPF', counters: { pass: 2, fail: 1, consecutivePass: 0, consecutiveFail: 1, consecutiveError: 0, firstFailAt: at(3), latestVerdictIgnoringInconclusive: 'fail' } },
    { checks: 'FIF', counters: { fail: 2, inconclusive: 1, consecutiveFail: 2, firstFailAt: at(1), latestVerdictIgnoringInconclusive: 'fail' } },
    { checks: 'FEF', counters: { fail: 2, error: 1, consecutiveFail: 2, consecutiveError: 0, firstFailAt: at(1) } },
    { checks: 'FFP', counters: { pass: 1, fail: 2, consecutivePass: 1, consecutiveFail: 0, firstFailAt: null, latestVerdictIgnoringInconclusive: 'pass' } },
    { checks: 'IIF', counters: { inconclusive: 2, fail: 1, firstFailAt: at(3) } },
    { checks: 'PEE', counters: { error: 2, consecutiveError: 2, consecutivePass: 0, latestVerdictIgnoringInconclusive: 'error' } },
    { checks: 'EEI', counters: { error: 2, inconclusive: 1, consecutiveError: 0, latestVerdictIgnoringInconclusive: 'error' } },
    { checks: 'PPI', counters: { pass: 2, consecutivePass: 0, latestVerdictIgnoringInconclusive: 'pass' } },
    { checks: 'PHP', counters: { pass: 2, fail: 1, hardLimit: 1, consecutivePass: 1 } },
    { checks: '', counters: { pass: 0, fail: 0, inconclusive: 0, error: 0, hardLimit: 0, firstFailAt: null, latestVerdictIgnoringInconclusive: null } },
  ])('$checks → $counters', ({ checks, counters }) => {
    expect(stepWith(checks).counters).toMatchObject(counters);
  });

  it('does not change the state it is given', () => {
    const before = stepWith('PF');
    const copy = structuredClone(before);
    recordCheck(before, check('fail'), at(3));
    expect(before).toEqual(copy);
  });

  it('keeps the last MAX_RECORDED_CHECKS checks and counts them all', () => {
    const state = stepWith('P'.repeat(MAX_RECORDED_CHECKS + 50));
    expect(state.checks).toHaveLength(MAX_RECORDED_CHECKS);
    expect(state.checks[0]!.at).toBe(at(51));
    expect(state.counters.pass).toBe(MAX_RECORDED_CHECKS + 50);
  });

  it('sums the counts of checks that have both versions\' numbers into the step evidence', () => {
    expect(stepWith('PFIE').evidence).toEqual({ canaryRequests: 2012, canaryErrors: 36, championRequests: 57_000, championErrors: 57 });
  });
});

describe('steps', () => {
  it('starts before any step, then each step afresh, keeping the history', () => {
    expect(initialState()).toMatchObject({ stepIndex: -1, weight: 0, checks: [], decision: null, history: [] });
    let state = startStep(initialState(), 0, 5, START, WINDOW);
    expect(state).toMatchObject({ stepIndex: 0, weight: 5, windowStartedAt: START, windowEndsAt: START + WINDOW, windowMs: WINDOW, extensions: 0 });
    state = stepWith('PPPPP PPPPP PPPPP', state);
    const decision = decide(state, at(15), hold);
    state = applyDecision(state, decision, at(15));
    state = applyDecision(state, decision, at(15)); // twice: still one summary
    expect(state.history).toEqual([{
      stepIndex: 0, weight: 5, startedAt: START, endedAt: at(15), extensions: 0,
      counters: state.counters, evidence: state.evidence, decision,
    }]);
    const next = startStep(state, 1, 25, at(15), WINDOW);
    expect(next).toMatchObject({ stepIndex: 1, weight: 25, checks: [], decision: null, evidence: { canaryRequests: 0 }, counters: { pass: 0 } });
    expect(next.history).toBe(state.history);
  });

  it('extends the window from now by one window', () => {
    const state = applyDecision(stepWith('IIIII IIIII IIIII'), { action: 'extend', reason: 'test' }, at(16));
    expect(state).toMatchObject({ extensions: 1, windowStartedAt: START, windowEndsAt: at(31), history: [] });
  });

  it('records a rollback as the end of the step', () => {
    const state = stepWith('PPH');
    const decided = applyDecision(state, decide(state, at(3), hold), at(3));
    expect(decided.history).toHaveLength(1);
    expect(decided.history[0]).toMatchObject({ stepIndex: 0, endedAt: at(3), decision: { action: 'rollback' } });
  });

  it('takes the window of a step from the step, else from the section', () => {
    const canary = CanarySection.parse({ slaWindow: '10m', steps: [{ weight: 5, slaWindow: '30m' }, { weight: 50 }] });
    expect(stepWindowMs(canary, 0)).toBe(30 * MINUTE);
    expect(stepWindowMs(canary, 1)).toBe(10 * MINUTE);
  });

  it('stays JSON', () => {
    const state = applyDecision(stepWith('PFIEH'), { action: 'rollback', reason: 'test' }, at(5));
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });

  it.each([[900_000, '15m'], [5_400_000, '1h30m'], [90_000, '1m30s'], [500, '500ms'], [3_600_000, '1h']])('formats %i ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('the analysis end to end: classifyCheck → recordCheck → decide, one check a minute', () => {
  const section = CanarySection.parse({});
  const config: DecideConfig = section;

  /** Runs one step; minute m (1-based) gives the two versions' numbers. Returns the decisions by minute. */
  function runStep(traffic: (minute: number) => { canary: VersionStats | undefined; champion: VersionStats | undefined }, minutes: number) {
    let state = startStep(initialState(), 0, 5, START, WINDOW);
    const decisions: Array<{ minute: number; action: string; reason: string }> = [];
    for (let minute = 1; minute <= minutes; minute++) {
      const { canary, champion } = traffic(minute);
      const result = classifyCheck({ ...section, canary, champion, canaryWeight: 5, stepEvidence: state.evidence });
      state = recordCheck(state, result, at(minute));
      const decision = decide(state, at(minute), config);
      state = applyDecision(state, decision, at(minute));
      decisions.push({ minute, ...decision });
      if (decision.action !== 'continue') break;
    }
    return { state, decisions, last: decisions.at(-1)! };
  }

  const version = (version: number, requests: number, errors: number): VersionStats => ({
    version, requests, errors, errorRate: errors / requests, latencyP50Ms: 20, latencyP99Ms: 90,
    meanScore: 0.4, labeled: 0, correct: 0, accuracy: null,
  });

  it('promotes a canary doubling a 0.1% error rate at 5% of 100 req/s: 15 minutes cannot tell (Bayes factor about 1.4)', () => {
    // 9 canary errors and 86 champion errors over the 15 minutes, as in the reference scenario.
    const canaryErrors = [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
    const { state, last } = runStep((minute) => ({
      canary: version(2, 300, canaryErrors[minute - 1]!),
      champion: version(1, 5700, minute < 15 ? 6 : 2),
    }), 20);
    expect(last).toMatchObject({ minute: 15, action: 'advance' });
    expect(state.counters).toMatchObject({ pass: 15, fail: 0 });
    const reference = scenarioNamed('15m at 5% of 100 req/s');
    expect(state.evidence).toEqual({
      canaryRequests: reference.canary.requests, canaryErrors: reference.canary.errors,
      championRequests: reference.champion.requests, championErrors: reference.champion.errors,
    });
    expect(state.checks.at(-1)!.numbers.bayesFactor! / reference.bayesFactor).toBeCloseTo(1, 8);
  });

  it('rolls back the same doubling at 5% of 1,000 req/s at the first decisive check: the test is valid at any stopping time', () => {
    const { state, decisions, last } = runStep(() => ({ canary: version(2, 3000, 6), champion: version(1, 57_000, 57) }), 40);
    const firstFail = state.checks.find((c) => c.verdict === 'fail')!;
    expect(firstFail.at).toBe(at(7)); // BF ≥ 100 from minute 7 (fixture: 74 at 6, 199 at 7)
    expect(decisions.find((d) => d.minute === 6)).toMatchObject({ action: 'continue' });
    expect(last).toMatchObject({ minute: 7, action: 'rollback' });
    expect(last.reason).toMatch(/^decisive evidence against the canary: errors vs champion: Bayes factor 199 ≥ 1\/alpha 100/);
  });

  it('rolls back at once on a hard limit and after 4 checks without metrics', () => {
    expect(runStep((minute) => ({ canary: version(2, 300, minute === 3 ? 90 : 0), champion: version(1, 5700, 5) }), 20).last)
      .toMatchObject({ minute: 3, action: 'rollback', reason: 'hard limit: error rate 0.3 > hard limit 0.2' });
    expect(runStep((minute) => ({ canary: minute > 2 ? undefined : version(2, 300, 0), champion: undefined }), 20).last)
      .toMatchObject({ minute: 6, action: 'rollback' });
  });

  it('holds a canary that never gets minSamples requests', () => {
    expect(runStep(() => ({ canary: version(2, 20, 0), champion: version(1, 380, 0) }), 20).last)
      .toMatchObject({ minute: 15, action: 'hold' });
  });
});
