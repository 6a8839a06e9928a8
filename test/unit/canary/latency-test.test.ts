import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { classifyCheck, type CheckInput } from '../../../src/canary/check.js';
import { initialState, recordCheck, startStep } from '../../../src/canary/decide.js';
import { mulberry32 } from '../../../src/data/seeded-random.js';
import type { VersionStats } from '../../../src/serving/gateway-contract.js';
import { CanarySection } from '../../../src/spec/schema.js';

const section = CanarySection.parse({});

function stats(version: number, requests: number, slow: number, thresholdMs = 120): VersionStats {
  return {
    version, requests, errors: 0, errorRate: 0, latencyP50Ms: 40, latencyP99Ms: 100, meanScore: null, labeled: 0, correct: 0, accuracy: null,
    slowerThan: { thresholdMs, requests: slow },
  };
}

function input(canary: VersionStats, champion: VersionStats, overrides: Partial<CheckInput> = {}): CheckInput {
  return { canary, champion, sla: section.sla, hardLimits: section.hardLimits, errorRateTest: section.errorRateTest, latencyTest: section.latencyTest, canaryWeight: 5, ...overrides };
}

/** Binomial(n, p) by inversion of n Bernoulli draws (n is small here). */
function binomial(random: () => number, n: number, p: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (random() < p) k++;
  return k;
}

describe('latency vs champion (slow requests tested like errors)', () => {
  it('fails a canary 50% slower yet under the SLA bound, and says why', () => {
    // Champion: 1% of its requests above its p99 (120 ms); the canary, 50% slower, has 30% there.
    const result = classifyCheck(input(stats(2, 300, 90), stats(1, 5700, 57)));
    expect(result.numbers.latencyP99Ms).toBeLessThan(section.sla.latencyP99Ms.max);
    expect(result.verdict).toBe('fail');
    expect(result.reasons).toHaveLength(1);
    expect(result.reasons[0]).toMatch(/^latency vs champion: Bayes factor .* ≥ 1\/alpha 100 \(30% of canary requests vs 1% of the champion's slower than 120 ms, the champion's p99, over the step\)$/);
    expect(result.numbers.slow).toEqual({ thresholdMs: 120, canary: 90, champion: 57 });
  });

  it('passes a canary as fast as the champion, and one that is faster', () => {
    expect(classifyCheck(input(stats(2, 300, 3), stats(1, 5700, 57))).verdict).toBe('pass');
    expect(classifyCheck(input(stats(2, 3000, 0), stats(1, 57000, 570))).verdict).toBe('pass');
  });

  it('is not run when disabled, without a threshold, or when the two counts used different thresholds', () => {
    const slowCanary = stats(2, 300, 90);
    expect(classifyCheck(input(slowCanary, stats(1, 5700, 57), { latencyTest: { enabled: false, alpha: 0.01 } })).verdict).toBe('pass');
    expect(classifyCheck(input({ ...slowCanary, slowerThan: undefined }, { ...stats(1, 5700, 57), slowerThan: undefined })).numbers.latencyBayesFactor).toBeNull();
    expect(classifyCheck(input(slowCanary, stats(1, 5700, 57, 130))).numbers.slow).toBeNull();
  });

  it('sums the step: small slowdowns that no single check shows add up to a decision', () => {
    // 5% of 100 req/s for a minute per check; the canary has 3% of its requests above the champion's p99.
    let state = startStep(initialState(), 0, 5, 0, 15 * 60_000);
    const verdicts: string[] = [];
    for (let minute = 1; minute <= 15; minute++) {
      const check = classifyCheck(input(stats(2, 300, 9), stats(1, 5700, 57), { stepLatencyEvidence: state.latencyEvidence }));
      state = recordCheck(state, check, minute * 60_000);
      verdicts.push(check.verdict);
    }
    expect(verdicts[0]).toBe('pass');
    expect(verdicts.at(-1)).toBe('fail');
    expect(state.latencyEvidence).toEqual({ canaryRequests: 4500, canaryErrors: 135, championRequests: 85500, championErrors: 855 });
  });

  it('keeps the champion p99 of the latest check as the next threshold, across steps', () => {
    const state = recordCheck(startStep(initialState(), 0, 5, 0, 60_000), classifyCheck(input(stats(2, 300, 3), stats(1, 5700, 57))), 1000);
    expect(state.latencyThresholdMs).toBe(100);
    expect(startStep(state, 1, 25, 2000, 60_000).latencyThresholdMs).toBe(100);
  });

  // Invariant: when both versions have the same latency distribution, checking every interval does not
  // inflate false failures: across steps of 15 checks, at most alpha of them ever fail (anytime-valid).
  it('fails at most alpha of same-distribution steps, however often it looks (2,000 simulated steps)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.constantFrom(0.01, 0.05), fc.constantFrom(5, 25, 50), (seed, slowShare, weight) => {
        const random = mulberry32(seed);
        let falseFailures = 0;
        const steps = 2000;
        for (let s = 0; s < steps; s++) {
          let state = startStep(initialState(), 0, weight, 0, 15 * 60_000);
          for (let minute = 1; minute <= 15; minute++) {
            const canaryRequests = (weight / 100) * 600;
            const championRequests = 600 - canaryRequests;
            const check = classifyCheck(input(stats(2, canaryRequests, binomial(random, canaryRequests, slowShare)), stats(1, championRequests, binomial(random, championRequests, slowShare)), { stepLatencyEvidence: state.latencyEvidence }));
            state = recordCheck(state, check, minute * 60_000);
            if (check.verdict === 'fail') {
              falseFailures++;
              break;
            }
          }
        }
        // alpha 0.01 plus three standard errors of 2,000 Bernoulli(0.01) draws.
        expect(falseFailures / steps).toBeLessThanOrEqual(0.01 + 3 * Math.sqrt((0.01 * 0.99) / steps));
      }),
      { numRuns: 6, seed: 20261203 },
    );
  });
});
