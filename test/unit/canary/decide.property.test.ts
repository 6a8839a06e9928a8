/**
 * Invariants of the canary's decisions over random rollouts: sequences of checks (any verdict,
 * hard limits among them), pauses of any length, and approve/abort messages at any point,
 * simulated exactly as canaryRollout drives the pure functions. 10,000 sequences per property;
 * fast-check prints the seed and the shrunk counterexample on a failure.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CanaryAnalysisState, Decision } from '../../../src/canary/analysis-state.js';
import type { CheckResult, Verdict } from '../../../src/canary/check.js';
import { nextAction, receiveCommand, type CanaryCommand } from '../../../src/canary/commands.js';
import { applyDecision, decide, decideWhileStopped, initialState, pauseClock, recordCheck, startStep } from '../../../src/canary/decide.js';
import { CanarySection } from '../../../src/spec/schema.js';

const RUNS = 10_000;
const INTERVAL = 60_000;
const START = 1_700_000_000_000;

const NUMBERS = {
  requests: 1000, errors: 2, errorRate: 0.002, latencyP99Ms: 80, accuracy: null, labeled: 0,
  championRequests: 19_000, championErrors: 19, championErrorRate: 0.001, canaryShare: 0.05, bayesFactor: 1,
};
const checkOf = (verdict: Verdict, hardLimit = false): CheckResult =>
  ({ verdict: hardLimit ? 'fail' : verdict, hardLimit, reasons: verdict === 'pass' && !hardLimit ? [] : [`${hardLimit ? 'hard' : verdict}`], numbers: NUMBERS });

type Event =
  | { kind: 'check'; verdict: Verdict; hardLimit: boolean }
  | { kind: 'pause'; ms: number }
  | { kind: 'command'; command: CanaryCommand['kind'] };

const verdictArb = fc.constantFrom<Verdict>('pass', 'fail', 'inconclusive', 'error');
const eventArb: fc.Arbitrary<Event> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('check' as const), verdict: verdictArb, hardLimit: fc.constant(false) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('check' as const), verdict: fc.constant<Verdict>('fail'), hardLimit: fc.constant(true) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 1, max: 60 * INTERVAL }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('command' as const), command: fc.constantFrom<CanaryCommand['kind']>('approve', 'abort') }) },
);
const configArb = fc.record({
  windowChecks: fc.integer({ min: 1, max: 20 }),
  failureLimit: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
  maxFailureShare: fc.double({ min: 0, max: 1, noNaN: true }),
  minChecksWithEvidence: fc.integer({ min: 1, max: 6 }),
  consecutiveErrorLimit: fc.integer({ min: 1, max: 6 }),
  onInsufficientEvidence: fc.constantFrom<'hold' | 'extend'>('hold', 'extend'),
});

interface Step {
  at: number;
  decision: Decision;
  action: string;
  abortedBefore: boolean;
  state: CanaryAnalysisState;
  /** The current run of failing checks in active (unpaused) time, as an independent witness. */
  run: { first: number; last: number } | null;
}

/** Drives one step of a rollout the way canaryRollout does; stops at the first outcome. */
type Config = typeof configArb extends fc.Arbitrary<infer T> ? T : never;

function simulate(config: Config, events: Event[]): Step[] {
  const section = CanarySection.parse({
    slaWindow: `${config.windowChecks}m`, interval: '1m', failureLimit: config.failureLimit, maxFailureShare: config.maxFailureShare,
    minChecksWithEvidence: config.minChecksWithEvidence, consecutiveErrorLimit: config.consecutiveErrorLimit, onInsufficientEvidence: config.onInsufficientEvidence,
  });
  let state = startStep(initialState(), 0, 5, START, config.windowChecks * INTERVAL);
  let now = START;
  let pausedTotal = 0;
  let pending: CanaryCommand | undefined;
  let aborted = false;
  let run = null as Step['run'];
  const steps: Step[] = [];
  for (const event of events) {
    if (event.kind === 'command') {
      pending = receiveCommand(pending, { kind: event.command }, false);
      aborted ||= event.command === 'abort';
      const action = nextAction(pending, undefined);
      steps.push({ at: now, decision: { action: 'continue', reason: 'message' }, action, abortedBefore: aborted, state, run });
      if (action !== 'continue') break;
      continue;
    }
    if (event.kind === 'pause') {
      state = pauseClock(state, event.ms);
      now += event.ms;
      pausedTotal += event.ms;
      continue;
    }
    now += INTERVAL;
    const check = checkOf(event.verdict, event.hardLimit);
    const active = now - pausedTotal;
    if (check.verdict === 'pass') run = null;
    if (check.verdict === 'fail') run = { first: run?.first ?? active, last: active };
    state = recordCheck(state, check, now);
    const decision = decide(state, now, section);
    state = applyDecision(state, decision, now);
    const action = nextAction(pending, decision.action);
    steps.push({ at: now, decision, action, abortedBefore: aborted, state, run });
    if (action === 'rollback' || action === 'advance' || action === 'promote') break;
  }
  return steps;
}

const params = { numRuns: RUNS } as const;

describe('canary decision invariants (fast-check, 10,000 sequences each)', () => {
  it('never advances or promotes after an abort', () => {
    fc.assert(fc.property(configArb, fc.array(eventArb, { maxLength: 60 }), (config, events) => {
      for (const step of simulate(config, events)) {
        if (step.abortedBefore) expect(['advance', 'promote']).not.toContain(step.action);
      }
    }), params);
  });

  it("never advances when the window's failure budget is spent", () => {
    fc.assert(fc.property(configArb, fc.array(eventArb, { maxLength: 60 }), (config, events) => {
      for (const step of simulate(config, events)) {
        if (step.decision.action !== 'advance') continue;
        const { pass, fail } = step.state.counters;
        if (config.failureLimit !== undefined) expect(fail).toBeLessThanOrEqual(config.failureLimit);
        if (pass + fail >= config.minChecksWithEvidence) expect(fail / (pass + fail)).toBeLessThanOrEqual(config.maxFailureShare);
        expect(pass + fail).toBeGreaterThanOrEqual(config.minChecksWithEvidence);
      }
    }), params);
  });

  it('never rolls back for an SLA breach without failing checks spanning the window (paused time excluded)', () => {
    fc.assert(fc.property(configArb, fc.array(eventArb, { maxLength: 60 }), (config, events) => {
      for (const step of simulate(config, events)) {
        if (!step.decision.reason.startsWith('SLA breached')) continue;
        expect(step.run).not.toBeNull();
        expect(step.run!.last - step.run!.first + INTERVAL).toBeGreaterThanOrEqual(config.windowChecks * INTERVAL);
      }
    }), params);
  });

  it('a hard-limit crossing rolls back at that check in every state: analysing, holding or paused', () => {
    fc.assert(fc.property(configArb, fc.array(eventArb, { maxLength: 40 }), fc.integer({ min: 0, max: 6 }), (config, events, errorsSoFar) => {
      const steps = simulate(config, events.filter((e) => e.kind !== 'command'));
      const last = steps.at(-1);
      const state = last && last.decision.action !== 'rollback' ? last.state : startStep(initialState(), 0, 5, START, config.windowChecks * INTERVAL);
      const at = (last?.at ?? START) + INTERVAL;
      const section = CanarySection.parse({ slaWindow: `${config.windowChecks}m`, interval: '1m', consecutiveErrorLimit: config.consecutiveErrorLimit });
      expect(decide(recordCheck(state, checkOf('fail', true), at), at, section).action).toBe('rollback');
      expect(decideWhileStopped(checkOf('fail', true), errorsSoFar, section).decision.action).toBe('rollback');
    }), params);
  });

  // Bound: a breach may start up to a window after the window's end (while the latest check had
  // no metrics) and then needs at most one more window to span it or to go a window without evidence.
  it('every step ends (advance, rollback) or asks a person (hold, extend) within three windows and an interval', () => {
    const checksOnly = fc.array(fc.record({ verdict: verdictArb }), { minLength: 62, maxLength: 62 });
    fc.assert(fc.property(configArb, checksOnly, (config, checks) => {
      const events: Event[] = checks.map(({ verdict }) => ({ kind: 'check', verdict, hardLimit: false }));
      const bound = START + 3 * config.windowChecks * INTERVAL + INTERVAL;
      let state = startStep(initialState(), 0, 5, START, config.windowChecks * INTERVAL);
      const section = CanarySection.parse({
        slaWindow: `${config.windowChecks}m`, interval: '1m', failureLimit: config.failureLimit, maxFailureShare: config.maxFailureShare,
        minChecksWithEvidence: config.minChecksWithEvidence, consecutiveErrorLimit: config.consecutiveErrorLimit, onInsufficientEvidence: config.onInsufficientEvidence,
      });
      let endedAt: number | undefined;
      events.forEach((event, i) => {
        if (endedAt !== undefined || event.kind !== 'check') return;
        const now = START + (i + 1) * INTERVAL;
        state = recordCheck(state, checkOf(event.verdict), now);
        const decision = decide(state, now, section);
        if (decision.action !== 'continue') endedAt = now;
      });
      expect(endedAt).toBeDefined();
      expect(endedAt!).toBeLessThanOrEqual(bound);
    }), params);
  });
});
