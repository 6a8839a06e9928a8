/**
 * One column's drift: the test Evidently would pick (or the override), its statistic, p-value
 * or distance, the threshold and the verdict, plus the summaries for the report's charts.
 */
import { fillZeroShares, jensenShannonDistance, klDivergence, populationStabilityIndex } from './binned-statistics.js';
import { countsOf } from './categorical-column-profile.js';
import { chiSquareTest, compareCodePoints, keyedCounts, twoProportionZTest, type KeyedCounts, type TestOutcome } from './count-tests.js';
import { categoricalSummaries, numericSummaries, OTHER_CATEGORIES } from './distribution-summary.js';
import { DEFAULT_THRESHOLDS, isDrift, isPValueTest, type ResolvedDriftOptions } from './drift-options.js';
import type { ColumnDrift, DistributionSummary, DriftTest } from './drift-report.js';
import { NumericDistribution } from './numeric-distribution.js';
import { binnedShares, ksTest, wassersteinBounds, wassersteinDistance } from './numeric-tests.js';
import { populationStd, type CategoricalColumnProfile, type ColumnProfile, type FeatureKind, type NumericColumnProfile } from './profile.js';

/** Evidently's "small" reference: at most this many values after cleaning. */
export const SMALL_REFERENCE_MAX_ROWS = 1000;

/** Evidently's default test (registry._get_default_stattest). `uniqueValues` counts reference ∪ current; Infinity = many. */
export function defaultTest(kind: FeatureKind, referenceCount: number, uniqueValues: number): DriftTest {
  if (referenceCount <= SMALL_REFERENCE_MAX_ROWS) {
    if (kind === 'numeric' && uniqueValues > 5) return 'ks';
    return uniqueValues > 2 ? 'chisquare' : 'z';
  }
  if (kind === 'numeric' && uniqueValues > 5) return 'wasserstein';
  return 'jensenshannon';
}

/** Test and threshold with Evidently's precedence: per column > per kind > global > default. */
export function resolveTest(column: string, kind: FeatureKind, options: ResolvedDriftOptions, fallback: () => DriftTest): { test: DriftTest; threshold: number } {
  const perColumn = options.columns?.[column];
  const perKind = options.kinds?.[kind];
  const global = options.method === 'auto' ? undefined : options.method;
  const test = perColumn?.method ?? perKind?.method ?? global ?? fallback();
  const threshold = perColumn?.threshold ?? perKind?.threshold ?? options.threshold ?? DEFAULT_THRESHOLDS[test];
  return { test, threshold };
}

/** A test that could not run on this column (its message becomes the column's error). */
export class ColumnTestError extends Error {
  override readonly name = 'ColumnTestError';
}

interface Measured {
  statistic: number;
  pValue: number | null;
  approximate: boolean;
  /** Bounds on the exact statistic when it is approximate. */
  interval?: [number, number];
}

export function columnDrift(reference: ColumnProfile, current: ColumnProfile, options: ResolvedDriftOptions): ColumnDrift {
  return reference.kind === 'numeric'
    ? numericColumnDrift(reference, current as NumericColumnProfile, options)
    : categoricalColumnDrift(reference, current as CategoricalColumnProfile, options);
}

function numericColumnDrift(reference: NumericColumnProfile, current: NumericColumnProfile, options: ResolvedDriftOptions): ColumnDrift {
  const ref = new NumericDistribution(reference);
  const cur = new NumericDistribution(current);
  const uniqueValues = ref.exact && cur.exact ? new Set([...ref.exact.values, ...cur.exact.values]).size : Number.POSITIVE_INFINITY;
  const { test, threshold } = resolveTest(reference.name, 'numeric', options, () => defaultTest('numeric', reference.count, uniqueValues));
  const summaries = numericSummaries({ column: reference, distribution: ref }, { column: current, distribution: cur }, options.chartBins);
  return finish(reference.name, 'numeric', test, threshold, summaries, reference.count, current.count, () => {
    switch (test) {
      case 'ks': {
        const { value, approximate } = ksTest(ref, cur);
        return { statistic: value.statistic, pValue: value.pValue, approximate };
      }
      case 'wasserstein': {
        const { value, approximate } = wassersteinDistance(ref, cur);
        const scale = Math.max(populationStd(reference), 0.001);
        const bounds = approximate ? wassersteinBounds(ref, cur) : undefined;
        const interval: [number, number] | undefined = bounds && [bounds.low / scale, bounds.high / scale];
        return { statistic: value / scale, pValue: null, approximate, ...(interval && { interval }) };
      }
      case 'chisquare':
      case 'z': {
        if (!ref.exact || !cur.exact) {
          throw new ColumnTestError(`${test} needs every value's count; this column has more than the profile's ${describeDistinctLimit(reference)} distinct values`);
        }
        const counts = keyedCounts(valueCountMap(ref), valueCountMap(cur), (a, b) => a - b);
        return withApproximation(test === 'z' ? twoProportionZTest(counts) : chiSquareTest(counts), false);
      }
      case 'psi_reference_quantiles':
        return referenceQuantilePsi(ref, cur, options.referenceQuantileBins);
      default: {
        const min = Math.min(reference.min, current.min);
        const max = Math.max(reference.max, current.max);
        const shares = binnedShares(ref, cur, min, max);
        return { statistic: binnedStatistic(test, shares.reference, shares.current), pValue: null, approximate: shares.approximate };
      }
    }
  });
}

function describeDistinctLimit(column: NumericColumnProfile): string {
  return column.distinct ? `${column.distinct.values.length}` : 'tracked number of';
}

function valueCountMap(distribution: NumericDistribution): Map<number, number> {
  const exact = distribution.exact!;
  return new Map(Array.from(exact.values, (value, i) => [value, exact.counts[i]!]));
}

function categoricalColumnDrift(reference: CategoricalColumnProfile, current: CategoricalColumnProfile, options: ResolvedDriftOptions): ColumnDrift {
  const truncated = reference.truncated || current.truncated;
  const refCounts = withPooled(reference);
  const curCounts = withPooled(current);
  const uniqueValues = truncated ? Number.POSITIVE_INFINITY : new Set([...refCounts.keys(), ...curCounts.keys()]).size;
  const { test, threshold } = resolveTest(reference.name, 'categorical', options, () => defaultTest('categorical', reference.count, uniqueValues));
  const summaries = categoricalSummaries(reference, current, options.chartCategories);
  return finish(reference.name, 'categorical', test, threshold, summaries, reference.count, current.count, () => {
    if (test === 'ks' || test === 'wasserstein') throw new ColumnTestError(`${test} applies to numeric columns only`);
    const counts = keyedCounts(refCounts, curCounts, compareCodePoints);
    if (test === 'chisquare') return withApproximation(chiSquareTest(counts), truncated);
    if (test === 'z') return withApproximation(twoProportionZTest(counts), truncated);
    const shares = sharesOf(counts);
    return { statistic: binnedStatistic(test === 'psi_reference_quantiles' ? 'psi' : test, shares.reference, shares.current), pValue: null, approximate: truncated };
  });
}

/** Category counts, with rows pooled beyond maxCategories as one more key. */
function withPooled(column: CategoricalColumnProfile): Map<string, number> {
  const counts = countsOf(column);
  if (column.otherCount > 0) counts.set(OTHER_CATEGORIES, (counts.get(OTHER_CATEGORIES) ?? 0) + column.otherCount);
  return counts;
}

function sharesOf<K>(counts: KeyedCounts<K>): { reference: number[]; current: number[] } {
  return {
    reference: counts.reference.map((n) => n / counts.referenceTotal),
    current: counts.current.map((n) => n / counts.currentTotal),
  };
}

function withApproximation(outcome: TestOutcome, approximate: boolean): Measured {
  return { statistic: outcome.statistic, pValue: outcome.pValue, approximate };
}

/** Jensen-Shannon on the raw shares; PSI and KL on Evidently's zero-filled shares. */
export function binnedStatistic(test: DriftTest, reference: number[], current: number[]): number {
  if (test === 'jensenshannon') return jensenShannonDistance(reference, current);
  const r = fillZeroShares(reference);
  const c = fillZeroShares(current);
  if (test === 'kl') return klDivergence(r, c);
  return populationStabilityIndex(r, c);
}

/**
 * PSI over bins cut at the reference's quantiles i / bins (duplicates merged), open-ended at
 * both ends: the bins, and the reference's shares, do not depend on the current window.
 */
export function referenceQuantileEdges(reference: NumericDistribution, bins: number): number[] {
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const edge = reference.quantile(i / bins);
    if (edges.length === 0 || edge > edges[edges.length - 1]!) edges.push(edge);
  }
  return edges;
}

function referenceQuantilePsi(reference: NumericDistribution, current: NumericDistribution, bins: number): Measured {
  const edges = referenceQuantileEdges(reference, bins);
  const shares = (side: NumericDistribution) => {
    const below = [0, ...edges.map((edge) => side.countBelow(edge)), side.count];
    return below.slice(1).map((n, i) => (n - below[i]!) / side.count);
  };
  return {
    statistic: binnedStatistic('psi', shares(reference), shares(current)),
    pValue: null,
    approximate: !reference.exact || !current.exact,
  };
}

function finish(
  column: string,
  kind: FeatureKind,
  test: DriftTest,
  threshold: number,
  summaries: { reference: DistributionSummary; current: DistributionSummary },
  referenceCount: number,
  currentCount: number,
  measure: () => Measured,
): ColumnDrift {
  const base = { column, kind, test, threshold, reference: summaries.reference, current: summaries.current };
  const empty = referenceCount === 0 ? 'reference' : currentCount === 0 ? 'current window' : undefined;
  if (empty) {
    return { ...base, statistic: null, pValue: null, drifted: null, error: `no values in the ${empty} after dropping missing values (null, NaN, ±inf)` };
  }
  let measured: Measured;
  try {
    measured = measure();
  } catch (error) {
    if (!(error instanceof ColumnTestError)) throw error;
    return { ...base, statistic: null, pValue: null, drifted: null, error: error.message };
  }
  const value = isPValueTest(test) ? measured.pValue! : measured.statistic;
  const result: ColumnDrift = {
    ...base,
    // JSON has no Infinity: an infinite chi-square (a category the reference never had) is reported as null with p = 0.
    statistic: Number.isFinite(measured.statistic) ? measured.statistic : null,
    pValue: measured.pValue,
    drifted: isDrift(test, value, threshold),
  };
  if (measured.approximate) result.approximate = true;
  if (measured.interval) {
    result.interval = measured.interval;
    const [low, high] = measured.interval;
    if (isDrift(test, low, threshold) !== isDrift(test, high, threshold)) result.undecided = true;
  }
  return result;
}
