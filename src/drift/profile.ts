/**
 * Drift profiles: per feature, what the drift tests need from a dataset, small enough to store
 * with a model version and mergeable across time windows (a day from its hours).
 *
 * Numeric columns keep every value, sorted, when the column has at most `sampleSize` (which
 * makes every test exact), exact quantiles for the binned and Wasserstein tests at scale,
 * the distinct values with their counts while there are few of them (which makes the ≤ 5- and
 * ≤ 20-value rules and the chi-square / z / per-value tests exact at any size), moments, min,
 * max and the missing count. Categorical columns keep their value counts.
 *
 * "Missing" is null, NaN or ±inf: Evidently drops them before every test, and so do we; their
 * share is reported as a finding of its own instead.
 */

export const PROFILE_FORMAT = 'mlops-drift-profile/1';

export type FeatureKind = 'numeric' | 'categorical';

export interface FeatureSpec {
  name: string;
  kind: FeatureKind;
}

export interface ProfileOptions {
  /** Values kept per numeric column: all of them up to this many (exact tests); beyond, none (exact quantiles and counts instead). */
  sampleSize: number;
  /** Quantiles at i / quantileCount, i = 0..quantileCount. */
  quantileCount: number;
  /** Distinct numeric values counted exactly up to this many (at least 21 for Evidently's 20-value binning rule). */
  maxDistinctNumeric: number;
  /** Categories counted per column; rarer ones beyond this are pooled in `otherCount`. */
  maxCategories: number;
  /** Seed of the samples that profiles of format 1 kept beyond sampleSize; read, no longer used. */
  seed: number;
}

export const DEFAULT_PROFILE_OPTIONS: ProfileOptions = {
  sampleSize: 100_000,
  quantileCount: 1_000,
  maxDistinctNumeric: 100,
  maxCategories: 10_000,
  seed: 20_240_611,
};

export function resolveProfileOptions(options: Partial<ProfileOptions> = {}): ProfileOptions {
  const resolved = { ...DEFAULT_PROFILE_OPTIONS, ...options };
  const integer = (name: keyof ProfileOptions, min: number) => {
    const value = resolved[name];
    if (!Number.isInteger(value) || value < min) throw new RangeError(`profile option ${name}: expected an integer ≥ ${min}, got ${value}`);
  };
  integer('sampleSize', 1);
  integer('quantileCount', 2);
  integer('maxDistinctNumeric', 21);
  integer('maxCategories', 2);
  integer('seed', 0);
  return resolved;
}

/** Distinct values ascending, with their counts. */
export interface ValueCounts {
  values: Float64Array;
  counts: Float64Array;
}

export interface NumericColumnProfile {
  name: string;
  kind: 'numeric';
  /** Rows seen, missing ones included. */
  rows: number;
  /** Null, NaN or ±inf. */
  missing: number;
  /** Finite values (rows − missing). */
  count: number;
  /** NaN when count is 0, like min and max. */
  mean: number;
  /** Σ (x − mean)²; the population variance is this / count. */
  sumSquaredDeviations: number;
  min: number;
  max: number;
  /** Exact distinct values and counts while there are at most maxDistinctNumeric; undefined beyond. */
  distinct?: ValueCounts;
  /** Ascending. Every finite value when `sampleComplete`; otherwise empty (older files: a uniform sample). */
  sample: Float64Array;
  sampleComplete: boolean;
  /** quantileCount + 1 quantiles at i / quantileCount (numpy's 'linear'); empty when count is 0. */
  quantiles: Float64Array;
}

export interface CategoricalColumnProfile {
  name: string;
  kind: 'categorical';
  rows: number;
  /** Null values (strings are never NaN). */
  missing: number;
  count: number;
  /** Categories by descending count (ties by name), with their counts. */
  categories: string[];
  counts: number[];
  /** Rows of categories beyond maxCategories; `truncated` says some were pooled. */
  otherCount: number;
  truncated: boolean;
}

export type ColumnProfile = NumericColumnProfile | CategoricalColumnProfile;

export interface ProfileSource {
  kind: 'table' | 'prediction-log' | 'merged';
  model?: string;
  /** ISO times of a prediction-log window, [from, to). */
  from?: string;
  to?: string;
}

export interface DriftProfile {
  format: typeof PROFILE_FORMAT;
  createdAt: string;
  /** Rows seen (every column counts its own missing values within these). */
  rows: number;
  options: ProfileOptions;
  source: ProfileSource;
  /** One profile per feature, in the model's feature order. */
  features: ColumnProfile[];
}

/** The profile of the training data, stored with a model version. */
export type ReferenceProfile = DriftProfile;

export function featureSpecs(profile: DriftProfile): FeatureSpec[] {
  return profile.features.map((column) => ({ name: column.name, kind: column.kind }));
}

export function findColumn(profile: DriftProfile, name: string): ColumnProfile | undefined {
  return profile.features.find((column) => column.name === name);
}

/** Population standard deviation (numpy.std's default), NaN for an empty column. */
export function populationStd(column: NumericColumnProfile): number {
  return column.count > 0 ? Math.sqrt(column.sumSquaredDeviations / column.count) : Number.NaN;
}

/** Thrown when profiles cannot be combined or read. */
export class ProfileError extends Error {
  override readonly name = 'ProfileError';
}
