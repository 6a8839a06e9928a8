/**
 * A numeric column profile read as a distribution: exact (every value, from the distinct
 * counts or a complete sample) when the profile has it, otherwise its quantile sketch.
 */
import type { NumericColumnProfile, ValueCounts } from './profile.js';
import { lowerBound, sketchCdf, sketchCdfBelow, sketchQuantile, upperBound, type CdfSource } from './quantile-sketch.js';

export class NumericDistribution implements CdfSource {
  readonly count: number;
  /** Every value as ascending distinct values with counts; undefined when only the sketch is known. */
  readonly exact: ValueCounts | undefined;
  readonly quantiles: Float64Array;
  /** cumulative[i] = number of values ≤ exact.values[i]. */
  private readonly cumulative: Float64Array | undefined;

  constructor(column: NumericColumnProfile) {
    this.count = column.count;
    this.exact = column.distinct ?? (column.sampleComplete ? countsOfSorted(column.sample) : undefined);
    this.quantiles = column.quantiles;
    if (this.exact) {
      this.cumulative = new Float64Array(this.exact.counts.length);
      let running = 0;
      this.exact.counts.forEach((n, i) => (this.cumulative![i] = running += n));
    }
  }

  get weight(): number {
    return this.count;
  }

  get breakpoints(): ArrayLike<number> {
    return this.exact ? this.exact.values : this.quantiles;
  }

  /** Number of values ≤ x (fractional for a sketch). */
  countAtMost(x: number): number {
    if (this.exact) {
      const i = upperBound(this.exact.values, x);
      return i === 0 ? 0 : this.cumulative![i - 1]!;
    }
    return this.count * sketchCdf(this.quantiles, x);
  }

  /** Number of values < x. */
  countBelow(x: number): number {
    if (this.exact) {
      const i = lowerBound(this.exact.values, x);
      return i === 0 ? 0 : this.cumulative![i - 1]!;
    }
    return this.count * sketchCdfBelow(this.quantiles, x);
  }

  cdf(x: number): number {
    return this.exact ? this.countAtMost(x) / this.count : sketchCdf(this.quantiles, x);
  }

  cdfBelow(x: number): number {
    return this.exact ? this.countBelow(x) / this.count : sketchCdfBelow(this.quantiles, x);
  }

  /** The value of 0-based rank `rank` in ascending order (exact distributions only). */
  valueAtRank(rank: number): number {
    const cumulative = this.cumulative!;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! > rank) hi = mid;
      else lo = mid + 1;
    }
    return this.exact!.values[lo]!;
  }

  quantile(p: number): number {
    return sketchQuantile(this.quantiles, p);
  }

  /** Counts per bin with numpy.histogram's semantics: [e_i, e_(i+1)), the last bin closed. */
  binCounts(edges: readonly number[]): number[] {
    const counts: number[] = [];
    for (let i = 0; i < edges.length - 1; i++) {
      const upper = i === edges.length - 2 ? this.countAtMost(edges[i + 1]!) : this.countBelow(edges[i + 1]!);
      counts.push(upper - this.countBelow(edges[i]!));
    }
    return counts;
  }
}

export function countsOfSorted(sorted: Float64Array): ValueCounts {
  const values: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    if (values.length > 0 && values[values.length - 1] === sorted[i]) counts[counts.length - 1]!++;
    else {
      values.push(sorted[i]!);
      counts.push(1);
    }
  }
  return { values: Float64Array.from(values), counts: Float64Array.from(counts) };
}
