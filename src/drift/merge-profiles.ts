/**
 * Merging profiles of disjoint row sets (hours into a day, workers into a window). Counts,
 * moments (Chan's parallel update), min/max, distinct counts and category counts merge
 * exactly. Complete samples merge exactly too, and stay complete up to sampleSize. Beyond, no
 * values are kept and quantiles merge by inverting the count-weighted mixture of the two CDFs
 * (approximate: the report says so; the drift check profiles a whole window in one pass instead).
 */
import { categoricalProfileFromCounts, countsOf } from './categorical-column-profile.js';
import { NumericDistribution } from './numeric-distribution.js';
import { distinctOfSorted, mergeSorted, quantilesOfCounts, quantilesOfSorted } from './numeric-column-profile.js';
import {
  PROFILE_FORMAT, ProfileError,
  type CategoricalColumnProfile, type ColumnProfile, type DriftProfile, type NumericColumnProfile, type ProfileOptions, type ValueCounts,
} from './profile.js';
import { mixtureQuantiles } from './quantile-sketch.js';

/**
 * Many profiles (e.g. a day's hours, in time order) merged as a balanced tree of adjacent pairs:
 * each value is copied log2(n) times instead of up to n times by a left fold.
 */
export function mergeAllProfiles(profiles: readonly DriftProfile[]): DriftProfile {
  if (profiles.length === 0) throw new ProfileError('nothing to merge: no profiles');
  let level = [...profiles];
  while (level.length > 1) {
    const next: DriftProfile[] = [];
    for (let index = 0; index < level.length; index += 2) next.push(index + 1 < level.length ? mergeProfiles(level[index]!, level[index + 1]!) : level[index]!);
    level = next;
  }
  return level[0]!;
}

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
  if (a.sampleComplete && b.sampleComplete) {
    const all = mergeSorted(a.sample, b.sample);
    const complete = all.length <= options.sampleSize;
    return {
      ...merged,
      distinct: merged.distinct ?? distinctOfSorted(all, options.maxDistinctNumeric),
      sample: complete ? all : new Float64Array(0),
      sampleComplete: complete,
      quantiles: quantilesOfSorted(all, options.quantileCount),
    };
  }
  return {
    ...merged,
    sample: new Float64Array(0),
    sampleComplete: false,
    quantiles: merged.distinct
      ? quantilesOfCounts(merged.distinct, options.quantileCount)
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
