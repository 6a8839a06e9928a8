/** Building numeric column profiles from values, and the pieces the merge and the window reader share. */
import { mulberry32, randomBelow } from '../data/seeded-random.js';
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

/** `finite` holds the column's finite values in any order (it is sorted in place). */
export function numericProfileFromFinite(name: string, rows: number, finite: Float64Array, options: ProfileOptions): NumericColumnProfile {
  const count = finite.length;
  // Sorted first: every number below depends on the multiset of values only, not on the order the
  // rows arrived in (DuckDB's threads and file order vary), so the same data gives the same bits.
  finite.sort();
  const { mean, sumSquaredDeviations } = moments(finite);
  // Positions are drawn by a seeded generator that never looks at the values: a uniform sample.
  const sample = count <= options.sampleSize ? undefined : sampleOfSorted(finite, options.sampleSize, sampleSeed(options.seed, name));
  return {
    name,
    kind: 'numeric',
    rows,
    missing: rows - count,
    count,
    mean,
    sumSquaredDeviations,
    min: count > 0 ? finite[0]! : Number.NaN,
    max: count > 0 ? finite[count - 1]! : Number.NaN,
    distinct: distinctOfSorted(finite, options.maxDistinctNumeric),
    sample: sample ?? finite,
    sampleComplete: sample === undefined,
    quantiles: quantilesOfSorted(finite, options.quantileCount),
  };
}

/** Mean and Σ (x − mean)², two passes with compensated sums (numpy's pairwise sums agree to ~1e-16). */
export function moments(values: Float64Array): { mean: number; sumSquaredDeviations: number } {
  if (values.length === 0) return { mean: Number.NaN, sumSquaredDeviations: 0 };
  const mean = compensatedSum(values, (x) => x) / values.length;
  return { mean, sumSquaredDeviations: compensatedSum(values, (x) => (x - mean) * (x - mean)) };
}

function compensatedSum(values: Float64Array, map: (x: number) => number): number {
  let total = 0;
  let compensation = 0;
  for (let i = 0; i < values.length; i++) {
    const value = map(values[i]!);
    const t = total + value;
    compensation += Math.abs(total) >= Math.abs(value) ? total - t + value : value - t + total;
    total = t;
  }
  return total + compensation;
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

/**
 * A uniform sample of `size` of the sorted values, ascending: `size` distinct positions drawn by
 * Floyd's algorithm (size draws, not one per value), seeded, never looking at the values.
 */
function sampleOfSorted(sorted: Float64Array, size: number, seed: number): Float64Array {
  const random = mulberry32(seed);
  const n = sorted.length;
  const chosen = new Set<number>();
  for (let j = n - size; j < n; j++) {
    const t = randomBelow(random, j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  const positions = Float64Array.from(chosen).sort();
  const sample = new Float64Array(size);
  for (let i = 0; i < size; i++) sample[i] = sorted[positions[i]!]!;
  return sample;
}

/** A per-column seed, so adding a column does not change the samples of the others. */
export function sampleSeed(seed: number, column: string): number {
  let hash = 0x811c9dc5 ^ seed;
  for (let i = 0; i < column.length; i++) hash = Math.imul(hash ^ column.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** A uniform subset of `size` values (partial Fisher-Yates), ascending. */
export function subsample(values: Float64Array, size: number, random: () => number): Float64Array {
  if (size >= values.length) return values.slice().sort();
  const pool = values.slice();
  for (let i = 0; i < size; i++) {
    const j = i + randomBelow(random, pool.length - i);
    const swap = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = swap;
  }
  return pool.subarray(0, size).sort();
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
