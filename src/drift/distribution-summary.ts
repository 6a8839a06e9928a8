/**
 * The per-column summaries of a drift report: counts, null share, moments and a histogram on
 * edges (or categories) shared by the reference and the current side, so the charts overlay.
 */
import { linspace } from './binned-statistics.js';
import { countsOf } from './categorical-column-profile.js';
import type { DistributionSummary, HistogramClip } from './drift-report.js';
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
  const min = Math.min(...filled.map((side) => side.column.min));
  const max = Math.max(...filled.map((side) => side.column.max));
  let [low, high] = [min, max];
  if (low === high) [low, high] = [low - 0.5, high + 0.5];
  const tails = filled.length > 0 ? longTails(filled.map((side) => side.distribution), min, max) : {};
  const [from, to] = [tails.low ?? low, tails.high ?? high];
  const logScale = filled.length > 0 && skewedNonNegative(filled.map((side) => side.distribution), from, to);
  const edges = filled.length === 0 ? [] : logScale ? linspace(Math.log1p(from), Math.log1p(to), bins + 1).map(Math.expm1) : linspace(from, to, bins + 1);
  if (logScale) [edges[0], edges[edges.length - 1]] = [from, to];
  const histogram = (side: typeof reference): DistributionSummary['histogram'] => {
    if (edges.length === 0) return { edges, shares: [] };
    const clip: HistogramClip = {};
    if (tails.low !== undefined) clip.low = { at: tails.low, belowShare: share(side, side.distribution.countBelow(tails.low)), min };
    if (tails.high !== undefined) clip.high = { at: tails.high, aboveShare: share(side, side.column.count - side.distribution.countAtMost(tails.high)), max };
    return {
      edges,
      shares: side.distribution.binCounts(edges).map((n) => share(side, n)),
      ...(tails.low !== undefined || tails.high !== undefined ? { clip } : {}),
      ...(logScale ? { scale: 'log1p' as const } : {}),
    };
  };
  return { reference: { ...numericFields(reference.column), histogram: histogram(reference) }, current: { ...numericFields(current.column), histogram: histogram(current) } };
}

/** Non-negative, and half the rows within the first tenth of the axis: a linear axis would show one bar. */
function skewedNonNegative(distributions: readonly NumericDistribution[], from: number, to: number): boolean {
  if (!(from >= 0 && to > from)) return false;
  const median = Math.max(...distributions.map((d) => d.quantile(0.5)));
  return median - from < (to - from) / 10;
}

/**
 * Where to clip the chart's axis: at the combined 99th (1st) percentile when the values beyond it
 * stretch the axis more than twice the span of the other 98% — one outlier at 10× the usual
 * values would otherwise put every other row in the first bin.
 */
export function longTails(distributions: readonly NumericDistribution[], min: number, max: number): { low?: number; high?: number } {
  const p01 = Math.min(...distributions.map((d) => d.quantile(0.01)));
  const p99 = Math.max(...distributions.map((d) => d.quantile(0.99)));
  const body = p99 - p01;
  if (!(body > 0) || !Number.isFinite(body)) return {};
  return {
    ...(p01 - min > 2 * body ? { low: p01 } : {}),
    ...(max - p99 > 2 * body ? { high: p99 } : {}),
  };
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
