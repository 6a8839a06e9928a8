/**
 * Merging profiles of disjoint row sets (hours into a day, workers into a window). Counts,
 * moments (Chan's parallel update), min/max, distinct counts and category counts merge
 * exactly. Complete samples merge exactly too, and stay complete up to sampleSize. Beyond,
 * samples merge by proportional uniform subsampling and quantiles by inverting the
 * count-weighted mixture of the two CDFs.
 */
import { mulberry32 } from '../data/seeded-random.js';
import { categoricalProfileFromCounts, countsOf } from './categorical-column-profile.js';
import { NumericDistribution } from './numeric-distribution.js';
import { distinctOfSorted, mergeSorted, quantilesOfSorted, sampleSeed, subsample } from './numeric-column-profile.js';
import {
  PROFILE_FORMAT, ProfileError,
  type CategoricalColumnProfile, type ColumnProfile, type DriftProfile, type NumericColumnProfile, type ProfileOptions, type ValueCounts,
} from './profile.js';
import { mixtureQuantiles } from './quantile-sketch.js';

export function mergeProfiles(a: DriftProfile, b: DriftProfile): DriftProfile {
  assertSameOptions(a.options, b.options);
  const names = [...a.features.map((c) => c.name), ...b.features.map((c) => c.name).filter((name) => !a.features.some((c) => c.name === name))];
  const features = names.map((name) => {
    const left = a.features.find((c) => c.name === name);
    const right = b.features.find((c) => c.name === name);
    const kind = (left ?? right)!.kind;
    if (left && right && left.kind !== right.kind) throw new ProfileError(`cannot merge column "${name}": ${left.kind} in one profile, ${right.kind} in the other`);
    return mergeColumns(left ?? missingColumn(name, kind, a.rows), right ?? missingColumn(name, kind, b.rows), a.options);
  });
  return {
    format: PROFILE_FORMAT,
    createdAt: new Date().toISOString(),
    rows: a.rows + b.rows,
    options: a.options,
    source: mergedSource(a, b),
    features,
  };
}

function mergedSource(a: DriftProfile, b: DriftProfile): DriftProfile['source'] {
  const source: DriftProfile['source'] = { kind: 'merged' };
  const model = a.source.model ?? b.source.model;
  if (model !== undefined) source.model = model;
  const froms = [a.source.from, b.source.from].filter((t): t is string => t !== undefined).sort();
  const tos = [a.source.to, b.source.to].filter((t): t is string => t !== undefined).sort();
  if (froms.length > 0) source.from = froms[0]!;
  if (tos.length > 0) source.to = tos[tos.length - 1]!;
  return source;
}

function assertSameOptions(a: ProfileOptions, b: ProfileOptions): void {
  for (const key of ['sampleSize', 'quantileCount', 'maxDistinctNumeric', 'maxCategories'] as const) {
    if (a[key] !== b[key]) throw new ProfileError(`cannot merge profiles built with different ${key} (${a[key]} and ${b[key]})`);
  }
}

/** A column absent from a profile: all of that profile's rows are missing for it. */
function missingColumn(name: string, kind: ColumnProfile['kind'], rows: number): ColumnProfile {
  if (kind === 'categorical') return { name, kind, rows, missing: rows, count: 0, categories: [], counts: [], otherCount: 0, truncated: false };
  return {
    name, kind, rows, missing: rows, count: 0, mean: Number.NaN, sumSquaredDeviations: 0, min: Number.NaN, max: Number.NaN,
    distinct: { values: new Float64Array(0), counts: new Float64Array(0) }, sample: new Float64Array(0), sampleComplete: true, quantiles: new Float64Array(0),
  };
}

function mergeColumns(a: ColumnProfile, b: ColumnProfile, options: ProfileOptions): ColumnProfile {
  if (a.kind === 'numeric' && b.kind === 'numeric') return mergeNumeric(a, b, options);
  return mergeCategorical(a as CategoricalColumnProfile, b as CategoricalColumnProfile, options);
}

function mergeCategorical(a: CategoricalColumnProfile, b: CategoricalColumnProfile, options: ProfileOptions): CategoricalColumnProfile {
  const counts = countsOf(a);
  for (const [category, count] of countsOf(b)) counts.set(category, (counts.get(category) ?? 0) + count);
  return categoricalProfileFromCounts(a.name, a.rows + b.rows, counts, options, {
    otherCount: a.otherCount + b.otherCount,
    truncated: a.truncated || b.truncated,
  });
}

function mergeNumeric(a: NumericColumnProfile, b: NumericColumnProfile, options: ProfileOptions): NumericColumnProfile {
  const rows = a.rows + b.rows;
  if (b.count === 0) return { ...a, rows, missing: a.missing + b.missing, distinct: a.distinct && b.distinct ? a.distinct : undefined };
  if (a.count === 0) return { ...b, rows, missing: a.missing + b.missing, distinct: a.distinct && b.distinct ? b.distinct : undefined };
  const count = a.count + b.count;
  const delta = b.mean - a.mean;
  const merged = {
    name: a.name,
    kind: 'numeric' as const,
    rows,
    missing: a.missing + b.missing,
    count,
    mean: a.mean + (delta * b.count) / count,
    sumSquaredDeviations: a.sumSquaredDeviations + b.sumSquaredDeviations + (delta * delta * a.count * b.count) / count,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    distinct: mergeDistinct(a.distinct, b.distinct, options.maxDistinctNumeric),
  };
  const random = mulberry32(sampleSeed(options.seed ^ count, a.name));
  if (a.sampleComplete && b.sampleComplete) {
    const all = mergeSorted(a.sample, b.sample);
    const complete = all.length <= options.sampleSize;
    return {
      ...merged,
      distinct: merged.distinct ?? distinctOfSorted(all, options.maxDistinctNumeric),
      sample: complete ? all : subsample(all, options.sampleSize, random),
      sampleComplete: complete,
      quantiles: quantilesOfSorted(all, options.quantileCount),
    };
  }
  return {
    ...merged,
    sample: mergeSamples(a, b, options.sampleSize, random),
    sampleComplete: false,
    quantiles: merged.distinct
      ? quantilesOfDistinct(merged.distinct, options.quantileCount)
      : mixtureQuantiles([new NumericDistribution(a), new NumericDistribution(b)], options.quantileCount),
  };
}

function mergeDistinct(a: ValueCounts | undefined, b: ValueCounts | undefined, limit: number): ValueCounts | undefined {
  if (!a || !b) return undefined;
  const counts = new Map<number, number>();
  a.values.forEach((value, i) => counts.set(value, a.counts[i]!));
  b.values.forEach((value, i) => counts.set(value, (counts.get(value) ?? 0) + b.counts[i]!));
  if (counts.size > limit) return undefined;
  const values = Float64Array.from(counts.keys()).sort();
  return { values, counts: Float64Array.from(values, (value) => counts.get(value)!) };
}

/** numpy 'linear' quantiles of the values described by exact distinct counts. */
function quantilesOfDistinct(distinct: ValueCounts, quantileCount: number): Float64Array {
  const total = distinct.counts.reduce((sum, n) => sum + n, 0);
  const cumulative = new Float64Array(distinct.counts.length);
  let running = 0;
  distinct.counts.forEach((n, i) => (cumulative[i] = running += n));
  const valueAt = (rank: number) => {
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! > rank) hi = mid;
      else lo = mid + 1;
    }
    return distinct.values[lo]!;
  };
  const result = new Float64Array(quantileCount + 1);
  for (let i = 0; i <= quantileCount; i++) {
    const position = (i / quantileCount) * (total - 1);
    const lower = Math.floor(position);
    const a = valueAt(lower);
    const b = valueAt(Math.min(lower + 1, total - 1));
    result[i] = a + (b - a) * (position - lower);
  }
  return result;
}

/** Each side contributes in proportion to the rows it stands for. */
function mergeSamples(a: NumericColumnProfile, b: NumericColumnProfile, size: number, random: () => number): Float64Array {
  const target = Math.min(size, a.sample.length + b.sample.length);
  let fromA = Math.round((target * a.count) / (a.count + b.count));
  fromA = Math.min(a.sample.length, Math.max(target - b.sample.length, fromA));
  return mergeSorted(subsample(a.sample, fromA, random), subsample(b.sample, target - fromA, random));
}
