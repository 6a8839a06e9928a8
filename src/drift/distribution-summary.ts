/**
 * The per-column summaries of a drift report: counts, null share, moments and a histogram on
 * edges (or categories) shared by the reference and the current side, so the charts overlay.
 */
import { linspace } from './binned-statistics.js';
import { countsOf } from './categorical-column-profile.js';
import type { DistributionSummary } from './drift-report.js';
import type { NumericDistribution } from './numeric-distribution.js';
import { populationStd, type CategoricalColumnProfile, type NumericColumnProfile } from './profile.js';

export const OTHER_CATEGORIES = '(other)';

type SummaryPair = { reference: DistributionSummary; current: DistributionSummary };

function nullShare(column: { rows: number; missing: number }): number {
  return column.rows > 0 ? column.missing / column.rows : 0;
}

function numericFields(column: NumericColumnProfile): Omit<DistributionSummary, 'histogram'> {
  const summary: Omit<DistributionSummary, 'histogram'> = { count: column.count, nullShare: nullShare(column) };
  if (column.count > 0) Object.assign(summary, { mean: column.mean, std: populationStd(column), min: column.min, max: column.max });
  return summary;
}

/** Per value when both sides have at most 20 distinct values together, else `bins` equal-width bins over the combined range. */
export function numericSummaries(
  reference: { column: NumericColumnProfile; distribution: NumericDistribution },
  current: { column: NumericColumnProfile; distribution: NumericDistribution },
  bins: number,
): SummaryPair {
  const sides = [reference, current];
  const values = new Set<number>();
  const allExact = sides.every((side) => side.distribution.exact);
  if (allExact) for (const side of sides) for (const value of side.distribution.exact!.values) values.add(value);
  const share = (side: typeof reference, count: number) => (side.column.count > 0 ? count / side.column.count : 0);
  if (allExact && values.size <= 20) {
    const keys = [...values].sort((a, b) => a - b);
    const histogram = (side: typeof reference) => ({
      categories: keys.map(String),
      shares: keys.map((x) => share(side, side.distribution.countAtMost(x) - side.distribution.countBelow(x))),
    });
    return { reference: { ...numericFields(reference.column), histogram: histogram(reference) }, current: { ...numericFields(current.column), histogram: histogram(current) } };
  }
  const filled = sides.filter((side) => side.column.count > 0);
  let low = Math.min(...filled.map((side) => side.column.min));
  let high = Math.max(...filled.map((side) => side.column.max));
  if (low === high) [low, high] = [low - 0.5, high + 0.5];
  const edges = filled.length > 0 ? linspace(low, high, bins + 1) : [];
  const histogram = (side: typeof reference) => ({
    edges,
    shares: edges.length > 0 ? side.distribution.binCounts(edges).map((n) => share(side, n)) : [],
  });
  return { reference: { ...numericFields(reference.column), histogram: histogram(reference) }, current: { ...numericFields(current.column), histogram: histogram(current) } };
}

/** The `limit` categories with the largest combined share, the rest pooled as "(other)". */
export function categoricalSummaries(reference: CategoricalColumnProfile, current: CategoricalColumnProfile, limit: number): SummaryPair {
  const sides = [reference, current];
  const maps = sides.map(countsOf);
  const weight = new Map<string, number>();
  sides.forEach((side, i) => {
    for (const [category, count] of maps[i]!) weight.set(category, (weight.get(category) ?? 0) + (side.count > 0 ? count / side.count : 0));
  });
  const ranked = [...weight].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([category]) => category);
  const shown = ranked.slice(0, limit);
  const pooled = ranked.length > limit || sides.some((side) => side.otherCount > 0);
  const categories = pooled ? [...shown, OTHER_CATEGORIES] : shown;
  const summary = (side: CategoricalColumnProfile, counts: Map<string, number>): DistributionSummary => {
    const shares = shown.map((category) => (side.count > 0 ? (counts.get(category) ?? 0) / side.count : 0));
    if (pooled) shares.push(side.count > 0 ? Math.max(0, 1 - shares.reduce((sum, s) => sum + s, 0)) : 0);
    return { count: side.count, nullShare: nullShare(side), histogram: { categories, shares } };
  };
  return { reference: summary(reference, maps[0]!), current: summary(current, maps[1]!) };
}
