/**
 * The tests on value counts, as Evidently runs them on categorical columns and on numeric
 * columns with few values: Pearson's chi-square against the reference proportions, and the
 * two-proportion z-test.
 */
import { chiSquareSurvival, normalCdf } from './special-functions.js';

/** Counts of the same keys on both sides (missing keys count 0). */
export interface KeyedCounts<K> {
  keys: K[];
  reference: number[];
  current: number[];
  referenceTotal: number;
  currentTotal: number;
}

export function keyedCounts<K>(reference: ReadonlyMap<K, number>, current: ReadonlyMap<K, number>, compare?: (a: K, b: K) => number): KeyedCounts<K> {
  const keys = [...new Set([...reference.keys(), ...current.keys()])];
  if (compare) keys.sort(compare);
  const total = (counts: ReadonlyMap<K, number>) => [...counts.values()].reduce((sum, n) => sum + n, 0);
  return {
    keys,
    reference: keys.map((key) => reference.get(key) ?? 0),
    current: keys.map((key) => current.get(key) ?? 0),
    referenceTotal: total(reference),
    currentTotal: total(current),
  };
}

export interface TestOutcome {
  statistic: number;
  pValue: number;
}

/**
 * scipy.stats.chisquare(f_obs = current counts, f_exp = reference counts × n_cur / n_ref),
 * k − 1 degrees of freedom. A category the reference never had makes the statistic infinite
 * and p = 0.
 */
export function chiSquareTest<K>(counts: KeyedCounts<K>): TestOutcome {
  const scale = counts.currentTotal / counts.referenceTotal;
  let statistic = 0;
  counts.keys.forEach((_, i) => {
    const expected = counts.reference[i]! * scale;
    const observed = counts.current[i]!;
    statistic += expected === 0 ? (observed === 0 ? Number.NaN : Number.POSITIVE_INFINITY) : ((observed - expected) ** 2) / expected;
  });
  return { statistic, pValue: chiSquareSurvival(statistic, counts.keys.length - 1) };
}

/**
 * Evidently's two-proportion z-test: the first key in sorted order against all others;
 * z = (p_ref − p_cur) / √(P (1 − P) (1/n_ref + 1/n_cur)) with the pooled P, p = 2 (1 − Φ(|z|)).
 * The same single value on both sides gives p = 1.
 */
export function twoProportionZTest<K>(counts: KeyedCounts<K>): TestOutcome {
  const referenceKeys = counts.keys.filter((_, i) => counts.reference[i]! > 0);
  const currentKeys = counts.keys.filter((_, i) => counts.current[i]! > 0);
  if (referenceKeys.length === 1 && currentKeys.length === 1 && referenceKeys[0] === currentKeys[0]) return { statistic: 0, pValue: 1 };
  const n1 = counts.referenceTotal;
  const n2 = counts.currentTotal;
  // Shares of rows that are NOT the first key (Evidently maps the first key to 0, the rest to 1).
  const p1 = (n1 - counts.reference[0]!) / n1;
  const p2 = (n2 - counts.current[0]!) / n2;
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  const z = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  return { statistic: z, pValue: 2 * (1 - normalCdf(Math.abs(z))) };
}

/** Python's sort order for strings (by code point), which Evidently's sorted() uses. */
export function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
