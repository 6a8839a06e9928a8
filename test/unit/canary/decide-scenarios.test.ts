/**
 * The rollout patterns users reported (issue: "the canary must never promote a bad version"),
 * each as the exact sequence of checks, against the pure decision functions.
 */
import { describe, expect, it } from 'vitest';
import type { CanaryAnalysisState } from '../../../src/canary/analysis-state.js';
import { classifyCheck, type CheckResult, type Verdict } from '../../../src/canary/check.js';
import { applyDecision, decide, initialState, pauseClock, recordCheck, startStep } from '../../../src/canary/decide.js';
import { CanarySection } from '../../../src/spec/schema.js';

const MINUTE = 60_000;
const WINDOW = 15 * MINUTE;
const START = 1_700_000_000_000;
const section = CanarySection.parse({});

const NUMBERS = {
  requests: 1000, errors: 2, errorRate: 0.002, latencyP99Ms: 80, accuracy: null, labeled: 0,
  championRequests: 19_000, championErrors: 19, championErrorRate: 0.001, canaryShare: 0.05, bayesFactor: 1,
};
const check = (verdict: Verdict): CheckResult => ({ verdict, hardLimit: false, reasons: verdict === 'pass' ? [] : [`${verdict} reason`], numbers: NUMBERS });
const CODES = { P: 'pass', F: 'fail', I: 'inconclusive', E: 'error' } as const;

/** Checks one a minute from START + 1m, recorded and decided as the workflow does; returns the last decision. */
function run(checks: string, state: CanaryAnalysisState = startStep(initialState(), 0, 5, START, WINDOW), firstAt = START + MINUTE, config: typeof section = section) {
  let decision = { action: 'continue', reason: '' } as ReturnType<typeof decide>;
  [...checks.replaceAll(' ', '')].forEach((code, i) => {
    const now = firstAt + i * MINUTE;
    state = recordCheck(state, check(CODES[code as keyof typeof CODES]), now);
    decision = decide(state, now, config);
    state = applyDecision(state, decision, now);
  });
  return { state, decision };
}

describe('canary scenarios that went wrong before', () => {
  it('1. rolls back a flapping canary: 14 failing checks and 1 pass at the end of the window spend the failure budget', () => {
    const { decision } = run('FFFFF FFFFF FFFFP');
    expect(decision.action).toBe('rollback');
    expect(decision.reason).toMatch(/failure budget spent in the 15m window: 14 of 15 checks with evidence failed/);
  });

  it('1b. rolls back a canary whose failing stretches are each shorter than the window', () => {
    const { decision } = run('FFFFP FFFFP FFFFP');
    expect(decision.action).toBe('rollback');
  });

  it('2. thin traffic is not a breach: 1 failing check then 15 inconclusive ones hold for a person, never "SLA breached"', () => {
    const { decision } = run('F IIIII IIIII IIIII');
    expect(decision.action).toBe('hold');
    expect(decision.reason).not.toMatch(/SLA breached/);
  });

  it('3. a pause stops the breach clock: 4 failing minutes, a 20-minute pause, then one more failing check does not roll back', () => {
    let { state } = run('FFFF');
    state = pauseClock(state, 20 * MINUTE);
    const resumed = run('F', state, START + 25 * MINUTE);
    expect(resumed.decision.action).toBe('continue');
    expect(resumed.decision.reason).toMatch(/failing for 5m of 15m/);
  });

  it('8a. a breach rolls back at the check that completes the window, not one interval later', () => {
    // The breach rule alone (a failure share of 1 never trips the budget, which would roll back at the 8th check).
    const { decision } = run('FFFFF FFFFF FFFFF', undefined, undefined, { ...section, maxFailureShare: 1 });
    expect(decision.action).toBe('rollback');
    expect(decision.reason).toMatch(/SLA breached for 15m, the whole 15m window/);
  });

  it('8b. the hard limit minimum request count is a field of the definition', () => {
    const parsed = CanarySection.parse({ hardLimits: { minRequests: 3 } });
    const input = {
      canary: { requests: 4, errors: 2, latencyP99Ms: 10, labeled: 0, correct: 0 },
      champion: undefined, sla: parsed.sla, hardLimits: parsed.hardLimits, errorRateTest: parsed.errorRateTest, canaryWeight: 5,
    } as unknown as Parameters<typeof classifyCheck>[0];
    expect(classifyCheck(input)).toMatchObject({ verdict: 'fail', hardLimit: true });
    expect(classifyCheck({ ...input, hardLimits: CanarySection.parse({}).hardLimits })).toMatchObject({ hardLimit: false });
  });

  it('failureLimit (Argo): more failing checks than the limit roll back before the window ends', () => {
    const limited = CanarySection.parse({ failureLimit: 2 });
    let state = startStep(initialState(), 0, 5, START, WINDOW);
    const decisions = ['F', 'P', 'F', 'P', 'F'].map((code, i) => {
      const now = START + (i + 1) * MINUTE;
      state = recordCheck(state, check(CODES[code as keyof typeof CODES]), now);
      return decide(state, now, limited);
    });
    expect(decisions.map((d) => d.action)).toEqual(['continue', 'continue', 'continue', 'continue', 'rollback']);
    expect(decisions[4]!.reason).toMatch(/3 failing checks > failureLimit 2/);
  });
});
