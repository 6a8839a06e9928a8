/**
 * KS, normalised Wasserstein and the Sturges-binned shares between two numeric
 * distributions. With every value known on both sides (complete samples or exact distinct
 * counts) they equal scipy's and Evidently's numbers; otherwise they are computed from the
 * quantile sketches and flagged `approximate`.
 */
import { sturgesEdges } from './binned-statistics.js';
import { ksTwoSampleTest, type KsResult } from './ks-test.js';
import type { NumericDistribution } from './numeric-distribution.js';
import type { ValueCounts } from './profile.js';
import { sketchQuantile } from './quantile-sketch.js';

export interface Approximation<T> {
  value: T;
  approximate: boolean;
}

/** Walks the merged distinct values of two exact distributions, in ascending order. */
function walkMerged(a: ValueCounts, b: ValueCounts, visit: (x: number, countA: number, countB: number) => void): void {
  let i = 0;
  let j = 0;
  while (i < a.values.length || j < b.values.length) {
    const x = j >= b.values.length || (i < a.values.length && a.values[i]! <= b.values[j]!) ? a.values[i]! : b.values[j]!;
    let countA = 0;
    let countB = 0;
    if (i < a.values.length && a.values[i] === x) countA = a.counts[i++]!;
    if (j < b.values.length && b.values[j] === x) countB = b.counts[j++]!;
    visit(x, countA, countB);
  }
}

/** ks_2samp's D: the largest gap between the two empirical CDFs (F = cumulative count / n, as scipy divides). */
export function ksStatistic(reference: NumericDistribution, current: NumericDistribution): Approximation<number> {
  const n1 = reference.count;
  const n2 = current.count;
  if (reference.exact && current.exact) {
    let cumulative1 = 0;
    let cumulative2 = 0;
    let maxS = Number.NEGATIVE_INFINITY;
    let minS = Number.NEGATIVE_INFINITY;
    walkMerged(reference.exact, current.exact, (_, c1, c2) => {
      cumulative1 += c1;
      cumulative2 += c2;
      const diff = cumulative1 / n1 - cumulative2 / n2;
      if (diff > maxS) maxS = diff;
      if (-diff > minS) minS = -diff;
    });
    minS = Math.min(Math.max(minS, 0), 1);
    return { value: minS > maxS ? minS : maxS, approximate: false };
  }
  // The gap is largest at a breakpoint of either CDF, or just below one.
  let d = 0;
  for (const source of [reference, current]) {
    const points = source.breakpoints;
    for (let i = 0; i < points.length; i++) {
      const x = points[i]!;
      d = Math.max(d, Math.abs(reference.cdf(x) - current.cdf(x)), Math.abs(reference.cdfBelow(x) - current.cdfBelow(x)));
    }
  }
  return { value: d, approximate: true };
}

export function ksTest(reference: NumericDistribution, current: NumericDistribution): Approximation<KsResult> {
  const d = ksStatistic(reference, current);
  return { value: ksTwoSampleTest(d.value, reference.count, current.count), approximate: d.approximate };
}

/**
 * scipy.stats.wasserstein_distance: ∫ |F_ref − F_cur| dx. Exact over the merged support when
 * every value is known, otherwise ∫₀¹ |Q_ref(u) − Q_cur(u)| du over the quantile grids.
 */
export function wassersteinDistance(reference: NumericDistribution, current: NumericDistribution): Approximation<number> {
  if (reference.exact && current.exact) {
    let cumulative1 = 0;
    let cumulative2 = 0;
    let previous = Number.NaN;
    let gap = 0;
    let total = 0;
    walkMerged(reference.exact, current.exact, (x, c1, c2) => {
      if (!Number.isNaN(previous)) total += gap * (x - previous);
      cumulative1 += c1;
      cumulative2 += c2;
      gap = Math.abs(cumulative1 / reference.count - cumulative2 / current.count);
      previous = x;
    });
    return { value: total, approximate: false };
  }
  const steps = new Set<number>();
  for (const grid of [reference.quantiles, current.quantiles]) for (let i = 0; i < grid.length; i++) steps.add(i / (grid.length - 1));
  const us = Float64Array.from(steps).sort();
  let total = 0;
  let previousU = 0;
  let previousGap = sketchQuantile(reference.quantiles, 0) - sketchQuantile(current.quantiles, 0);
  for (let k = 1; k < us.length; k++) {
    const u = us[k]!;
    const gap = sketchQuantile(reference.quantiles, u) - sketchQuantile(current.quantiles, u);
    total += integralOfAbsoluteLinear(previousGap, gap) * (u - previousU);
    previousU = u;
    previousGap = gap;
  }
  return { value: total, approximate: true };
}

/**
 * Bounds on ∫₀¹ |Q_ref(u) − Q_cur(u)| du (scipy's Wasserstein distance) that hold whatever the
 * values between the known points are: on each cell (i/Q, (i+1)/Q] of the quantile grid both
 * quantile functions lie in known intervals, so their gap lies between the intervals' nearest
 * and farthest ends. An exact side gives its cell intervals from its values; a sketched side
 * from its grid (numpy 'linear' quantiles of n values bracket the cell's order statistics
 * between grid points i − 1 and i + 2 when n ≥ 2Q + 2). Undefined when a sketch is too small
 * for that guarantee or the two grids differ.
 */
export function wassersteinBounds(reference: NumericDistribution, current: NumericDistribution): { low: number; high: number } | undefined {
  const sketched = [reference, current].filter((side) => !side.exact);
  const cells = sketched.length > 0 ? sketched[0]!.quantiles.length - 1 : 1000;
  if (sketched.some((side) => side.quantiles.length - 1 !== cells || side.count < 2 * cells + 2)) return undefined;
  const r = cellIntervals(reference, cells);
  const c = cellIntervals(current, cells);
  let low = 0;
  let high = 0;
  for (let i = 0; i < cells; i++) {
    low += Math.max(0, r.low[i]! - c.high[i]!, c.low[i]! - r.high[i]!);
    high += Math.max(r.high[i]! - c.low[i]!, c.high[i]! - r.low[i]!);
  }
  return { low: low / cells, high: high / cells };
}

/** For each cell (i/Q, (i+1)/Q], an interval that holds the distribution's quantile function there. */
function cellIntervals(side: NumericDistribution, cells: number): { low: Float64Array; high: Float64Array } {
  const low = new Float64Array(cells);
  const high = new Float64Array(cells);
  const grid = side.quantiles;
  for (let i = 0; i < cells; i++) {
    if (side.exact) {
      // Q(u) = the value of 0-based rank ⌈u·n⌉ − 1.
      low[i] = side.valueAtRank(Math.floor((i * side.count) / cells));
      high[i] = side.valueAtRank(Math.ceil(((i + 1) * side.count) / cells) - 1);
    } else {
      low[i] = grid[Math.max(i - 1, 0)]!;
      high[i] = grid[Math.min(i + 2, cells)]!;
    }
  }
  return { low, high };
}

/** ∫₀¹ |a + (b − a) t| dt. */
function integralOfAbsoluteLinear(a: number, b: number): number {
  if ((a >= 0 && b >= 0) || (a <= 0 && b <= 0)) return (Math.abs(a) + Math.abs(b)) / 2;
  return (a * a + b * b) / (2 * (Math.abs(a) + Math.abs(b)));
}

export interface BinnedShares {
  /** Bin edges (numeric bins), or the keys (per-value shares). */
  edges?: number[];
  keys?: number[];
  reference: number[];
  current: number[];
  approximate: boolean;
}

/**
 * Evidently's get_binned_data for a numeric column: Sturges bins over the combined range when
 * the reference has more than 20 distinct values, otherwise shares per value over the union.
 */
export function binnedShares(reference: NumericDistribution, current: NumericDistribution, min: number, max: number): BinnedShares {
  const referenceDistinct = reference.exact ? reference.exact.values.length : Number.POSITIVE_INFINITY;
  if (referenceDistinct > 20) {
    const edges = sturgesEdges(min, max, reference.count + current.count);
    return {
      edges,
      reference: reference.binCounts(edges).map((n) => n / reference.count),
      current: current.binCounts(edges).map((n) => n / current.count),
      approximate: !reference.exact || !current.exact,
    };
  }
  return perValueShares(reference, current);
}

/** Shares per distinct value over the union of both sides' values. */
export function perValueShares(reference: NumericDistribution, current: NumericDistribution): BinnedShares {
  const keys = new Set<number>(reference.exact!.values);
  if (current.exact) for (const value of current.exact.values) keys.add(value);
  const sorted = [...keys].sort((a, b) => a - b);
  const share = (side: NumericDistribution, x: number) => (side.countAtMost(x) - side.countBelow(x)) / side.count;
  const shares: BinnedShares = {
    keys: sorted,
    reference: sorted.map((x) => share(reference, x)),
    current: sorted.map((x) => share(current, x)),
    approximate: !current.exact,
  };
  if (!current.exact) {
    // Values of a sketched current side that are not among the reference's values: one pooled key
    // (exact for Jensen-Shannon, whose terms where the reference is 0 are linear in the share).
    const rest = 1 - shares.current.reduce((sum, s) => sum + s, 0);
    if (rest > 0) {
      shares.keys!.push(Number.NaN);
      shares.reference.push(0);
      shares.current.push(rest);
    }
  }
  return shares;
}
