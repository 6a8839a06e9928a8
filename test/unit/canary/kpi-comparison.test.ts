import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/data/seeded-random.js';
import {
  addKpiSums, compareKpi, describeKpiComparison, kpiDropIsDecisive, kpiRiseIsDecisive, MIN_REPORTS_PER_VERSION, NO_KPI_SUMS, TUNED_FOR_REPORTS, type KpiSums,
} from '../../../src/canary/kpi-comparison.js';

interface ConfseqCase {
  name: string;
  share: number;
  alpha: number;
  challenger: KpiSums;
  champion: KpiSums;
  differenceInterval: [number, number];
  relativeInterval: [number, number];
}

/** Written by scripts/fixtures/make_kpi_fixtures.py with confseq 0.0.11's normal_mixture_bound. */
const fixtures = JSON.parse(
  readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/canary/kpi-confseq.json'), 'utf8'),
) as { tunedForReports: number; cases: ConfseqCase[] };


function observe(sums: KpiSums, value: number): KpiSums {
  return addKpiSums(sums, { count: 1, sum: value, sumSquares: value * value });
}

describe('compareKpi against confseq', () => {
  it('is tuned as the fixtures were', () => {
    expect(TUNED_FOR_REPORTS).toBe(fixtures.tunedForReports);
  });

  it.each(fixtures.cases)('$name: the difference and ratio sequences equal the reference', (reference) => {
    const comparison = compareKpi('kpi', reference.challenger, reference.champion, reference.share, reference.alpha);
    expect(comparison.withheld).toBeNull();
    for (const i of [0, 1]) {
      expect(comparison.differenceInterval![i]).toBeCloseTo(reference.differenceInterval[i]!, 10);
      // The reference finds the ratio's edges by bisection; ours solves the quadratic.
      expect(comparison.relativeInterval![i]).toBeCloseTo(reference.relativeInterval[i]!, 8);
    }
  });
});

const sums = fc
  .record({ count: fc.integer({ min: MIN_REPORTS_PER_VERSION, max: 50_000 }), mean: fc.double({ min: 0.01, max: 50, noNaN: true }), cv: fc.double({ min: 0.05, max: 5, noNaN: true }) })
  .map(({ count, mean, cv }): KpiSums => ({ count, sum: count * mean, sumSquares: count * mean * mean * (1 + cv * cv) }));

/** Invariants over any sums whose report split agrees with the share. */
const balanced = fc.tuple(sums, fc.double({ min: 0.05, max: 0.95, noNaN: true }), fc.integer({ min: MIN_REPORTS_PER_VERSION, max: 50_000 })).map(
  ([challenger, share, total]) => {
    const challengerCount = Math.max(MIN_REPORTS_PER_VERSION, Math.round(total * share));
    const championCount = Math.max(MIN_REPORTS_PER_VERSION, Math.round(challengerCount * (1 - share) / share));
    const scale = (s: KpiSums, count: number): KpiSums => ({ count, sum: (s.sum / s.count) * count, sumSquares: (s.sumSquares / s.count) * count });
    return { challenger: scale(challenger, challengerCount), share, champion: { count: championCount, sum: championCount * (challenger.sum / challenger.count) * 1.1, sumSquares: championCount * (challenger.sumSquares / challenger.count) * 1.21 } };
  },
);

describe('compareKpi invariants (fast-check)', () => {
  it('the ratio sequence contains 1 exactly when the difference sequence contains 0 (the same test at r = 1)', () => {
    fc.assert(
      fc.property(sums, sums, fc.double({ min: 0.05, max: 0.95, noNaN: true }), (challenger, champion, share) => {
        const c = compareKpi('k', challenger, champion, share, 0.05);
        if (c.withheld) return;
        const [lo, hi] = c.differenceInterval!;
        const [rlo, rhi] = c.relativeInterval!.map((x, i) => x ?? (i === 0 ? -Infinity : Infinity)) as [number, number];
        // Skip ties at the boundary, where rounding decides.
        if (Math.min(Math.abs(lo), Math.abs(hi)) < 1e-9 * (Math.abs(lo) + Math.abs(hi)) || Math.min(Math.abs(rlo), Math.abs(rhi)) < 1e-9) return;
        expect(lo <= 0 && 0 <= hi).toBe(rlo <= 0 && 0 <= rhi);
      }),
      { numRuns: 500 },
    );
  });

  it('a smaller alpha never gives a narrower sequence; the point estimates lie inside', () => {
    fc.assert(
      fc.property(balanced, fc.double({ min: 0.001, max: 0.2, noNaN: true }), ({ challenger, champion, share }, alpha) => {
        const wide = compareKpi('k', challenger, champion, share, alpha / 2);
        const narrow = compareKpi('k', challenger, champion, share, alpha);
        if (wide.withheld || narrow.withheld) return;
        const [wideLo, wideHi] = wide.relativeInterval!.map((x, i) => x ?? (i === 0 ? -Infinity : Infinity));
        const [lo, hi] = narrow.relativeInterval!.map((x, i) => x ?? (i === 0 ? -Infinity : Infinity));
        expect(wideLo).toBeLessThanOrEqual(lo! + 1e-12);
        expect(wideHi).toBeGreaterThanOrEqual(hi! - 1e-12);
        expect(lo).toBeLessThanOrEqual(narrow.relativeDifference! + 1e-9);
        expect(hi).toBeGreaterThanOrEqual(narrow.relativeDifference! - 1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it('the drop bound is decisive exactly when the whole ratio sequence lies below 1 − maxRelativeDrop', () => {
    fc.assert(
      fc.property(balanced, fc.double({ min: 0.01, max: 0.5, noNaN: true }), ({ challenger, champion, share }, drop) => {
        const c = compareKpi('k', challenger, champion, share, 0.05);
        if (c.withheld || c.relativeInterval![1] === null) return;
        const upper = c.relativeInterval![1];
        if (Math.abs(upper + drop) < 1e-9) return;
        expect(kpiDropIsDecisive(challenger, champion, share, 0.05, drop)).toBe(upper < -drop);
      }),
      { numRuns: 500 },
    );
  });
});

/** Like `balanced`, with the challenger's mean anywhere from 0.5× to 3× the champion's. */
const varied = fc.tuple(balanced, fc.double({ min: 0.5, max: 3, noNaN: true })).map(([{ challenger, champion, share }, factor]) => ({
  share, champion, challenger: { count: challenger.count, sum: challenger.sum * factor * 1.1, sumSquares: challenger.sumSquares * (factor * 1.1) ** 2 },
}));

describe('KPI bounds where lower is better (maxRelativeRise, fast-check)', () => {
  it('the rise bound is decisive exactly when the whole ratio sequence lies above 1 + maxRelativeRise', () => {
    let decisive = 0;
    fc.assert(
      fc.property(varied, fc.double({ min: 0.01, max: 1, noNaN: true }), ({ challenger, champion, share }, rise) => {
        const c = compareKpi('k', challenger, champion, share, 0.05);
        if (c.withheld || c.relativeInterval![0] === null) return;
        const lower = c.relativeInterval![0];
        if (Math.abs(lower - rise) < 1e-9) return;
        const verdict = kpiRiseIsDecisive(challenger, champion, share, 0.05, rise);
        if (verdict) decisive++;
        expect(verdict).toBe(lower > rise);
      }),
      { numRuns: 500 },
    );
    // The generator reaches both sides of the bound, so the equivalence was tested both ways.
    expect(decisive).toBeGreaterThan(10);
  });

  it('a rise of the challenger is a drop of the champion seen from the other side of the split', () => {
    fc.assert(
      fc.property(varied, fc.double({ min: 0.01, max: 1, noNaN: true }), ({ challenger, champion, share }, rise) => {
        const c = compareKpi('k', challenger, champion, share, 0.05);
        const swapped = compareKpi('k', champion, challenger, 1 - share, 0.05);
        if (c.withheld || !c.relativeInterval![0] || !swapped.relativeInterval![1]) return;
        // Away from the bound, where rounding cannot decide.
        if (Math.abs(c.relativeInterval![0] - rise) < 1e-6) return;
        expect(kpiRiseIsDecisive(challenger, champion, share, 0.05, rise)).toBe(kpiDropIsDecisive(champion, challenger, 1 - share, 0.05, 1 - 1 / (1 + rise)));
      }),
      { numRuns: 500 },
    );
  });

  it('is never decisive while the reports are too few or their split contradicts the configured one', () => {
    const refunds = (count: number, rate: number): KpiSums => ({ count, sum: count * rate, sumSquares: count * rate });
    expect(kpiRiseIsDecisive(refunds(10, 1), refunds(1_000, 0.05), 0.5, 0.05, 0.1)).toBe(false);
    expect(kpiRiseIsDecisive(refunds(2_000, 0.2), refunds(8_000, 0.05), 0.5, 0.05, 0.1)).toBe(false);
    expect(kpiRiseIsDecisive(refunds(5_000, 0.2), refunds(5_000, 0.05), 0.5, 0.05, 0.1)).toBe(true);
  });

  it('never blames a canary relative to a champion whose mean is not positive (a negative mean flips "lower")', () => {
    // Lower is better: −10.5 beats −10, yet its ratio 1.05 is "above" 1; higher is better: −8 beats −10, yet 0.8 is "below".
    const constant = (count: number, value: number): KpiSums => ({ count, sum: count * value, sumSquares: count * (value * value + 1) });
    expect(kpiRiseIsDecisive(constant(20_000, -10.5), constant(20_000, -10), 0.5, 0.05, 0.01)).toBe(false);
    expect(kpiDropIsDecisive(constant(20_000, -8), constant(20_000, -10), 0.5, 0.05, 0.05)).toBe(false);
    expect(kpiRiseIsDecisive(constant(20_000, 1), constant(20_000, 0), 0.5, 0.05, 0.1)).toBe(false);
    // The same data shifted positive is judged.
    expect(kpiRiseIsDecisive(constant(20_000, 12), constant(20_000, 10), 0.5, 0.05, 0.1)).toBe(true);
  });
});

describe('compareKpi over time (simulated experiments, seeded)', () => {
  /** Looks after every 100 reports up to `reports`; true when any look rejected "no difference" (or the drop bound). */
  function run(rng: () => number, reports: number, share: number, challengerP: number, championP: number, look: (c: KpiSums, s: KpiSums) => boolean): boolean {
    let challenger = NO_KPI_SUMS, champion = NO_KPI_SUMS;
    for (let i = 1; i <= reports; i++) {
      if (rng() < share) challenger = observe(challenger, rng() < challengerP ? 1 : 0);
      else champion = observe(champion, rng() < championP ? 1 : 0);
      if (i % 100 === 0 && look(challenger, champion)) return true;
    }
    return false;
  }
  const excludesZero = (share: number, alpha: number) => (c: KpiSums, s: KpiSums) => {
    const comparison = compareKpi('clicked', c, s, share, alpha);
    return comparison.differenceInterval !== null && (comparison.differenceInterval[0] > 0 || comparison.differenceInterval[1] < 0);
  };

  it('with no difference, looking every 100 reports rejects in at most about alpha of the experiments (a fixed-n interval does not)', () => {
    const rng = mulberry32(7);
    const alpha = 0.1;
    let rejected = 0, naiveRejected = 0;
    const runs = 300;
    for (let k = 0; k < runs; k++) {
      if (run(rng, 5_000, 0.5, 0.2, 0.2, excludesZero(0.5, alpha))) rejected++;
      // The same peeking with a plain 90% normal interval: its error rate grows with every look.
      if (run(rng, 5_000, 0.5, 0.2, 0.2, (c, s) => {
        if (c.count < 30 || s.count < 30) return false;
        const pc = c.sum / c.count, ps = s.sum / s.count;
        const se = Math.sqrt((pc * (1 - pc)) / c.count + (ps * (1 - ps)) / s.count);
        return Math.abs(pc - ps) > 1.645 * se;
      })) naiveRejected++;
    }
    console.log(`peeking every 100 reports over ${runs} experiments without a difference: anytime-valid rejected ${rejected}, fixed-n 90% interval ${naiveRejected}`);
    expect(rejected / runs).toBeLessThanOrEqual(alpha + 0.03);
    expect(naiveRejected / runs).toBeGreaterThan(2 * alpha);
  });

  it('finds a 30% drop in clicks (0.2 → 0.14) within 5,000 reports in nearly every experiment', () => {
    const rng = mulberry32(11);
    let found = 0;
    for (let k = 0; k < 100; k++) if (run(rng, 5_000, 0.5, 0.14, 0.2, (c, s) => kpiDropIsDecisive(c, s, 0.5, 0.05, 0.05))) found++;
    expect(found).toBeGreaterThanOrEqual(95);
  });

  it('never calls a 5% bound decisive when the challenger is as good, over 200 peeking experiments at 5% traffic', () => {
    const rng = mulberry32(13);
    let wrong = 0;
    for (let k = 0; k < 200; k++) if (run(rng, 20_000, 0.05, 0.2, 0.2, (c, s) => kpiDropIsDecisive(c, s, 0.05, 0.05, 0.05))) wrong++;
    expect(wrong / 200).toBeLessThanOrEqual(0.05);
  });
});

describe('compareKpi withholds what it cannot stand behind', () => {
  const clicks = (count: number, mean: number): KpiSums => ({ count, sum: count * mean, sumSquares: count * mean });

  it('too few reports on either side', () => {
    const comparison = compareKpi('clicked', clicks(10, 0.1), clicks(1_000, 0.2), 0.5, 0.05);
    expect(comparison.withheld).toMatch(/too few reports \(10 challenger, 1000 champion/);
    expect(comparison.relativeInterval).toBeNull();
    expect(kpiDropIsDecisive(clicks(10, 0), clicks(1_000, 0.2), 0.5, 0.05, 0.05)).toBe(false);
  });

  it('a sample ratio mismatch (the challenger got 20% of the reports on a 50/50 split) is named, not tested', () => {
    const comparison = compareKpi('clicked', clicks(2_000, 0.1), clicks(8_000, 0.2), 0.5, 0.05);
    expect(comparison.withheld).toMatch(/sample ratio mismatch: the challenger has 20% of the reports, the split gives it 50%/);
    expect(kpiDropIsDecisive(clicks(2_000, 0.1), clicks(8_000, 0.2), 0.5, 0.05, 0.05)).toBe(false);
  });

  it('describes a comparison with its interval', () => {
    const text = describeKpiComparison(compareKpi('clicked', clicks(3_000, 0.14), clicks(3_000, 0.2), 0.5, 0.05));
    expect(text).toMatch(/^clicked: −30% \[−\d+(\.\d+)?%, −\d+(\.\d+)?%\] \(0\.14 vs 0\.2; difference -0\.06 \[-0\.09\d*, -0\.02\d*\]; 3000 vs 3000 reports; 95% anytime-valid\)$/);
  });
});
