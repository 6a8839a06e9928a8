/** Building numeric column profiles from values, and the pieces the merge and the window reader share. */
import { orderFreeMoments } from './exact-sum.js';
import { valuesAtRanks } from './order-statistics.js';
import type { NumericColumnProfile, ProfileOptions, ValueCounts } from './profile.js';

/** Profile of a column of numbers where NaN marks a missing value (±inf counts as missing too). */
export function numericProfileFromValues(name: string, values: Float64Array, options: ProfileOptions): NumericColumnProfile {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) count++;
  const finite = new Float64Array(count);
  let next = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (Number.isFinite(value)) finite[next++] = value;
  }
  return numericProfileFromFinite(name, values.length, finite, options);
}

/**
 * `finite` holds the column's finite values in any order. Every number depends on the multiset of
 * values only, never on the order the rows arrived in (DuckDB's threads and file order vary), so
 * the same data gives the same bits. Up to `sampleSize` values are kept (sorted, in place): every
 * test is then exact. Beyond, the profile keeps exact quantiles, moments, min/max and value counts
 * (while few), computed by radix selection and order-free sums instead of a sort: a 10M-value
 * column costs a few linear passes.
 */
export function numericProfileFromFinite(name: string, rows: number, finite: Float64Array, options: ProfileOptions): NumericColumnProfile {
  const count = finite.length;
  const complete = count <= options.sampleSize;
  if (complete) finite.sort();
  const { mean, sumSquaredDeviations } = orderFreeMoments(finite);
  const distinct = complete ? distinctOfSorted(finite, options.maxDistinctNumeric) : distinctOfUnsorted(finite, options.maxDistinctNumeric);
  let quantiles: Float64Array;
  if (complete) quantiles = quantilesOfSorted(finite, options.quantileCount);
  else if (distinct) quantiles = quantilesOfCounts(distinct, options.quantileCount);
  else quantiles = quantilesBySelection(finite, options.quantileCount);
  return {
    name,
    kind: 'numeric',
    rows,
    missing: rows - count,
    count,
    mean,
    sumSquaredDeviations,
    min: count > 0 ? quantiles[0]! : Number.NaN,
    max: count > 0 ? quantiles[quantiles.length - 1]! : Number.NaN,
    distinct,
    sample: complete ? finite : new Float64Array(0),
    sampleComplete: complete,
    quantiles,
  };
}

/** Mean and Σ (x − mean)², exact sums correctly rounded, whatever the order of the values. */
export function moments(values: Float64Array): { mean: number; sumSquaredDeviations: number } {
  return orderFreeMoments(values);
}

/** The positions of numpy's 'linear' quantiles at i / q: value = a + (b − a)·fraction. */
function linearQuantilePositions(n: number, quantileCount: number): { lower: number; upper: number; fraction: number }[] {
  const positions = [];
  for (let i = 0; i <= quantileCount; i++) {
    const position = (i / quantileCount) * (n - 1);
    const lower = Math.floor(position);
    positions.push({ lower, upper: Math.min(lower + 1, n - 1), fraction: position - lower });
  }
  return positions;
}

function interpolate(a: number, b: number, fraction: number): number {
  return fraction === 0 ? a : a + (b - a) * fraction;
}

/** numpy.quantile(values, i / q), i = 0..q, from order statistics found by radix selection. */
function quantilesBySelection(values: Float64Array, quantileCount: number): Float64Array {
  const positions = linearQuantilePositions(values.length, quantileCount);
  const ranks = [...new Set(positions.flatMap((p) => [p.lower, p.upper]))].sort((a, b) => a - b);
  const selected = valuesAtRanks(values, ranks);
  const valueOf = new Map(ranks.map((rank, i) => [rank, selected[i]!]));
  return Float64Array.from(positions, (p) => interpolate(valueOf.get(p.lower)!, valueOf.get(p.upper)!, p.fraction));
}

/** numpy.quantile over the values that `counts` describes (ascending distinct values). */
export function quantilesOfCounts(counts: ValueCounts, quantileCount: number): Float64Array {
  const cumulative = new Float64Array(counts.counts.length);
  let running = 0;
  counts.counts.forEach((c, i) => (cumulative[i] = running += c));
  const at = (rank: number) => counts.values[firstAbove(cumulative, rank)]!;
  return Float64Array.from(linearQuantilePositions(running, quantileCount), (p) => interpolate(at(p.lower), at(p.upper), p.fraction));
}

/** Index of the first cumulative count > rank. */
function firstAbove(cumulative: Float64Array, rank: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid]! > rank) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Distinct values with counts of unsorted values, or undefined as soon as there are more than
 * `limit` (an open-addressing table on the values' bits; −0 counts as 0, as sorting would merge).
 */
export function distinctOfUnsorted(values: Float64Array, limit: number): ValueCounts | undefined {
  const bits = Math.ceil(Math.log2(limit * 4));
  const size = 1 << bits;
  const keys = new Float64Array(size);
  const counts = new Float64Array(size);
  const used = new Uint8Array(size);
  const scratch = new Float64Array(1);
  const words = new Uint32Array(scratch.buffer);
  let distinct = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]! === 0 ? 0 : values[i]!;
    scratch[0] = value;
    // The product's top bits: small integers have all-zero low words and low bits.
    let slot = Math.imul(words[0]! ^ Math.imul(words[1]! ^ (words[1]! >>> 16), 0x9e3779b1), 0x85ebca6b) >>> (32 - bits);
    for (;;) {
      slot &= size - 1;
      if (!used[slot]) {
        if (distinct === limit) return undefined;
        used[slot] = 1;
        keys[slot] = value;
        counts[slot] = 1;
        distinct++;
        break;
      }
      if (keys[slot] === value) {
        counts[slot]!++;
        break;
      }
      slot++;
    }
  }
  const order = [...Array(size).keys()].filter((slot) => used[slot]).sort((a, b) => keys[a]! - keys[b]!);
  return { values: Float64Array.from(order, (slot) => keys[slot]!), counts: Float64Array.from(order, (slot) => counts[slot]!) };
}

/** Distinct values with counts, or undefined when there are more than `limit`. */
export function distinctOfSorted(sorted: Float64Array, limit: number): ValueCounts | undefined {
  const values: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const value = sorted[i]!;
    if (values.length > 0 && values[values.length - 1] === value) {
      counts[counts.length - 1]!++;
      continue;
    }
    if (values.length === limit) return undefined;
    values.push(value);
    counts.push(1);
  }
  return { values: Float64Array.from(values), counts: Float64Array.from(counts) };
}

/** numpy.quantile(sorted, i / q) for i = 0..q, method 'linear'. */
export function quantilesOfSorted(sorted: Float64Array, quantileCount: number): Float64Array {
  const n = sorted.length;
  if (n === 0) return new Float64Array(0);
  const result = new Float64Array(quantileCount + 1);
  for (let i = 0; i <= quantileCount; i++) {
    const position = (i / quantileCount) * (n - 1);
    const lower = Math.floor(position);
    const upper = Math.min(lower + 1, n - 1);
    const fraction = position - lower;
    const a = sorted[lower]!;
    const b = sorted[upper]!;
    result[i] = fraction === 0 ? a : a + (b - a) * fraction;
  }
  return result;
}

/** Merges two ascending arrays. */
export function mergeSorted(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i]! <= b[j]! ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}
