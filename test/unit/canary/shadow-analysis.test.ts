import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { judge } from '../../../src/canary/shadow-analysis.js';

const gates = { minAgreement: 0.9, maxScoreDrift: 0.2, maxErrorRate: 0.01, maxP99: 200, minSamples: 10 };
const numbers = (shadow: number[], champion: number[], extra: Partial<{ mirrored: number; errors: number; p99Ms: number | null }> = {}) => ({
  mirrored: shadow.length, errors: 0, p99Ms: 20, shadowScores: Float64Array.from(shadow), championScores: Float64Array.from(champion), ...extra,
});

describe('shadow gates', () => {
  it('pass identical answers and name every failed gate otherwise', () => {
    const scores = Array.from({ length: 100 }, (_, i) => i / 100);
    expect(judge(numbers(scores, scores), gates, 0.5)).toMatchObject({ passed: true, paired: 100, agreement: 1, scoreDrift: 0, reasons: [] });
    const flipped = scores.map((score) => 1 - score - 0.005);
    const verdict = judge(numbers(flipped, scores, { errors: 5, p99Ms: 450 }), gates, 0.5);
    expect(verdict.passed).toBe(false);
    expect(verdict.reasons).toEqual([
      'agreement 0 < min 0.9 (decisions at threshold 0.5 on 100 requests)',
      'error rate 0.05 > max 0.01 (5 of 100)',
      'p99 450 ms > max 200 ms',
    ]);
    expect(judge(numbers(scores.slice(0, 5), scores.slice(0, 5)), gates, 0.5).reasons).toEqual(['5 paired requests < 10 needed']);
  });

  it('agreement and KS distance stay in [0, 1]; identical scores always agree fully (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: 1, maxLength: 200 }), fc.double({ min: 0.01, max: 0.99, noNaN: true }), (pairs, threshold) => {
        const verdict = judge(numbers(pairs.map((p) => p[0]), pairs.map((p) => p[1])), gates, threshold);
        expect(verdict.agreement).toBeGreaterThanOrEqual(0);
        expect(verdict.agreement).toBeLessThanOrEqual(1);
        expect(verdict.scoreDrift).toBeGreaterThanOrEqual(0);
        expect(verdict.scoreDrift).toBeLessThanOrEqual(1);
        const same = judge(numbers(pairs.map((p) => p[0]), pairs.map((p) => p[0])), gates, threshold);
        expect(same.agreement).toBe(1);
        expect(same.scoreDrift).toBe(0);
      }),
    );
  });
});
