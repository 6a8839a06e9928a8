import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { kolmogorovSurvival } from '../../../src/drift/kolmogorov-distribution.js';
import { ksTwoSampleTest } from '../../../src/drift/ks-test.js';
import { smirnovSurvival } from '../../../src/drift/smirnov-distribution.js';
import { chiSquareSurvival, normalCdf, roundHalfToEven } from '../../../src/drift/special-functions.js';
import { expectClose, FIXTURE_DIR } from './drift-fixtures.js';

const { points, versions } = JSON.parse(readFileSync(path.join(FIXTURE_DIR, 'special_functions.json'), 'utf8')) as {
  points: { ndtr: number[][]; chi2_sf: number[][]; kstwo_sf: number[][]; smirnov: number[][]; ks_exact: number[][] };
  versions: Record<string, string>;
};

describe(`the distributions behind the p-values, against scipy ${versions.scipy}`, () => {
  it('normal CDF equals scipy.special.ndtr to the last bits, tails included', () => {
    for (const [x, expected] of points.ndtr) expectClose(normalCdf(x!), expected, `ndtr(${x})`, 1e-15);
  });

  it('chi-square survival equals scipy.stats.chi2.sf', () => {
    // Series / continued fraction vs Cephes' igamc, which uses an asymptotic expansion near a ≈ x for large a: ~1e-12 apart at df = 1000.
    for (const [x, df, expected] of points.chi2_sf) expectClose(chiSquareSurvival(x!, df!), expected, `chi2.sf(${x}, ${df})`, 1e-11);
  });

  it('the one-sided Smirnov survival equals scipy.special.smirnov', () => {
    // scipy sums in double-double, we sum in log space with compensation: ≤ 3e-12 apart up to n = 1e6.
    for (const [n, x, expected] of points.smirnov) expectClose(smirnovSurvival(n!, x!), expected, `smirnov(${n}, ${x})`, 1e-11);
  });

  it('kstwo.sf equals scipy in every regime (Ruben-Gambino, Durbin matrix, Pomeranz, Pelz-Good, Smirnov tail)', () => {
    expect(points.kstwo_sf.length).toBeGreaterThan(100);
    for (const [n, x, expected] of points.kstwo_sf) expectClose(kolmogorovSurvival(n!, x!), expected, `kstwo.sf(${x}, ${n})`, 1e-11);
  });

  it('the exact two-sample KS p-value equals scipy (D snapped to the lattice h / lcm)', () => {
    for (const [n1, n2, d, snapped, expected] of points.ks_exact) {
      const result = ksTwoSampleTest(d!, n1!, n2!);
      expect(result.method).toBe('exact');
      expect(result.statistic, `D snapped for ${n1} vs ${n2}`).toBe(snapped);
      expectClose(result.pValue, expected, `exact p(${n1}, ${n2}, ${d})`, 1e-12);
    }
  });

  it('switches to the asymptotic distribution above 10,000 rows on either side', () => {
    expect(ksTwoSampleTest(0.05, 10_000, 100).method).toBe('exact');
    expect(ksTwoSampleTest(0.05, 10_001, 100).method).toBe('asymptotic');
    // round(n1·n2/(n1+n2)) with numpy's half-to-even: 10001·1/(10002) → 1
    expect(roundHalfToEven(2.5)).toBe(2);
    expect(roundHalfToEven(3.5)).toBe(4);
  });
});
