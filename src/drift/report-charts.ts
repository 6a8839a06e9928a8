/**
 * Inline SVG charts of one column's reference and current distributions: overlaid histograms for
 * numeric columns, paired bars per category for categorical ones. Plain markup, no script, so
 * the page stays one self-contained file; every label from the data is escaped.
 */
import type { ColumnDrift, DistributionSummary } from './drift-report.js';
import { escapeHtml, formatNumber, formatShare, truncateLabel } from './report-format.js';

/** Categories drawn as bars; the rest are listed under a "+N more" disclosure. */
export const MAX_CATEGORIES_DRAWN = 12;

const WIDTH = 480;

export interface ColumnChart {
  svg: string;
  /** HTML shown under the chart (the categories beyond the limit), or ''. */
  more: string;
}

export function columnChart(column: ColumnDrift): ColumnChart {
  // A numeric column with few values (a flag, a small count) is summarised per value: one bar each.
  const perValue = column.kind === 'numeric' && (column.reference.histogram.categories !== undefined || column.current.histogram.categories !== undefined);
  if (perValue) return categoricalBars(column, { inValueOrder: true });
  return column.kind === 'numeric' ? { svg: numericHistogram(column), more: '' } : categoricalBars(column);
}

// ---- numeric: overlaid histograms -------------------------------------------------------------

interface Bin {
  low: number;
  high: number;
  share: number;
}

function histogramBins(summary: DistributionSummary): Bin[] {
  const { edges, shares } = summary.histogram;
  if (!edges || edges.length !== shares.length + 1) return [];
  const bins: Bin[] = [];
  shares.forEach((share, index) => {
    const low = edges[index]!;
    const high = edges[index + 1]!;
    if (Number.isFinite(low) && Number.isFinite(high) && Number.isFinite(share)) bins.push({ low, high, share });
  });
  return bins;
}

function sameEdges(a: Bin[], b: Bin[]): boolean {
  return a.length === b.length && a.every((bin, index) => bin.low === b[index]!.low && bin.high === b[index]!.high);
}

function numericHistogram(column: ColumnDrift): string {
  const reference = histogramBins(column.reference);
  const current = histogramBins(column.current);
  const all = [...reference, ...current];
  if (all.length === 0) return emptyChart('No histogram in either summary');

  let low = Math.min(...all.map((bin) => bin.low));
  let high = Math.max(...all.map((bin) => bin.high));
  if (!(high > low)) [low, high] = [low - 0.5, high + 0.5];
  const clip = column.reference.histogram.clip ?? column.current.histogram.clip;
  const logAxis = (column.reference.histogram.scale ?? column.current.histogram.scale) === 'log1p' && low >= 0;
  const f = logAxis ? Math.log1p : (value: number) => value;
  // Shared bins compare shares directly; different bins compare densities (share per unit of x).
  const byShare = reference.length === 0 || current.length === 0 || sameEdges(reference, current);
  const height = (bin: Bin): number => (byShare ? bin.share : bin.share / Math.max(bin.high - bin.low, Number.MIN_VALUE));
  const tailShares = byShare
    ? [column.reference, column.current].flatMap((side) => [side.histogram.clip?.low?.belowShare ?? 0, side.histogram.clip?.high?.aboveShare ?? 0])
    : [];
  const yTicks = niceTicks(0, Math.max(...all.map(height), ...tailShares, byShare ? 0.01 : Number.MIN_VALUE), 4);
  const yMax = yTicks[yTicks.length - 1]!;

  // Room at either end for the rows beyond a clipped axis (one bar each, drawn by share).
  const tail = 30;
  const plot = { left: 48 + (clip?.low ? tail : 0), right: WIDTH - 12 - (clip?.high ? tail : 0), top: 12, bottom: 172 };
  const chartHeight = clip || logAxis ? 214 : 200;
  const x = (value: number): number => plot.left + ((f(value) - f(low)) / (f(high) - f(low))) * (plot.right - plot.left);
  const y = (value: number): number => plot.bottom - (value / yMax) * (plot.bottom - plot.top);

  const bars = (bins: Bin[], side: 'reference' | 'current'): string =>
    bins
      .filter((bin) => bin.share > 0)
      .map((bin) => {
        const left = x(bin.low);
        const width = Math.max(x(bin.high) - left, 1);
        const top = y(height(bin));
        const barHeight = Math.max(plot.bottom - top, 1);
        const tip = `${side}: ${formatShare(bin.share)} of rows in [${formatNumber(bin.low)}, ${formatNumber(bin.high)})`;
        return `<rect class="bar bar-${side}" x="${r(left)}" y="${r(plot.bottom - barHeight)}" width="${r(width)}" height="${r(barHeight)}"><title>${escapeHtml(tip)}</title></rect>`;
      })
      .join('');

  const yFormat = byShare ? formatShare : formatNumber;
  const yAxis = yTicks
    .map((tick) => `<line class="grid" x1="${plot.left}" x2="${plot.right}" y1="${r(y(tick))}" y2="${r(y(tick))}"/><text class="tick" x="${plot.left - 6}" y="${r(y(tick) + 4)}" text-anchor="end">${escapeHtml(yFormat(tick))}</text>`)
    .join('');
  const xAxis = (logAxis ? logTicks(low, high) : niceTicks(low, high, 5))
    .filter((tick) => tick >= low && tick <= high)
    .map((tick) => `<line class="axis" x1="${r(x(tick))}" x2="${r(x(tick))}" y1="${plot.bottom}" y2="${plot.bottom + 4}"/><text class="tick" x="${r(x(tick))}" y="${plot.bottom + 17}" text-anchor="middle">${escapeHtml(formatNumber(tick))}</text>`)
    .join('');
  const tailBars = (side: 'reference' | 'current', offset: number): string => {
    const sideClip = column[side].histogram.clip;
    const bar = (share: number | undefined, x0: number, what: string): string => {
      if (!share || !byShare) return '';
      const top = y(share);
      const barHeight = Math.max(plot.bottom - top, 1);
      return `<rect class="bar bar-${side} bar-tail" x="${r(x0 + offset)}" y="${r(plot.bottom - barHeight)}" width="${r(tail / 2 - 2)}" height="${r(barHeight)}"><title>${escapeHtml(`${side}: ${formatShare(share)} of rows ${what}`)}</title></rect>`;
    };
    return (
      bar(sideClip?.low?.belowShare, plot.left - tail + 2, `below ${formatNumber(clip?.low?.at ?? low)} (down to ${formatNumber(clip?.low?.min ?? low)})`) +
      bar(sideClip?.high?.aboveShare, plot.right + 2, `above ${formatNumber(clip?.high?.at ?? high)} (up to ${formatNumber(clip?.high?.max ?? high)})`)
    );
  };
  const tailLabels =
    (clip?.low ? `<text class="tick" x="${r(plot.left - tail / 2)}" y="${plot.bottom + 17}" text-anchor="middle">&lt;</text>` : '') +
    (clip?.high ? `<text class="tick" x="${r(plot.right + tail / 2)}" y="${plot.bottom + 17}" text-anchor="middle">&gt;</text>` : '');
  const clipNote = [
    logAxis ? 'log axis' : '',
    clip?.low ? `clipped at p1 = ${formatNumber(clip.low.at)} (end bar: the rest down to ${formatNumber(clip.low.min)})` : '',
    clip?.high ? `clipped at p99 = ${formatNumber(clip.high.at)} (end bar: the rest up to ${formatNumber(clip.high.max)})` : '',
  ].filter(Boolean).join('; ');
  const label = `Histogram of ${column.column}: reference and current ${byShare ? 'share of rows' : 'density'} per bin${clipNote ? `; ${clipNote}` : ''}`;
  return (
    `<svg class="chart chart-numeric" viewBox="0 0 ${WIDTH} ${chartHeight}" role="img" aria-label="${escapeHtml(label)}">` +
    `<g>${yAxis}</g>` +
    `<g class="bars">${bars(reference, 'reference')}${bars(current, 'current')}${tailBars('reference', 0)}${tailBars('current', tail / 2)}</g>` +
    `<line class="axis" x1="${plot.left}" x2="${plot.right}" y1="${plot.bottom}" y2="${plot.bottom}"/>` +
    `<g>${xAxis}${tailLabels}</g>` +
    (clipNote ? `<text class="tick chart-clip-note" x="8" y="${chartHeight - 4}">${escapeHtml(clipNote)}</text>` : '') +
    (byShare ? '' : `<text class="tick" x="${plot.right}" y="${plot.top - 2}" text-anchor="end">density (bins differ)</text>`) +
    `</svg>`
  );
}

// ---- categorical: paired bars per category ----------------------------------------------------

export interface CategoryShares {
  category: string;
  reference: number;
  current: number;
  /** Seen in the current window but not in the reference. */
  isNew: boolean;
}

/** Every category of either side, with both shares; a category absent from a side has share 0. */
export function categoryShares(column: ColumnDrift): CategoryShares[] {
  const byCategory = new Map<string, { reference: number; current: number }>();
  const add = (summary: DistributionSummary, side: 'reference' | 'current'): void => {
    const { categories = [], shares } = summary.histogram;
    categories.forEach((category, index) => {
      const entry = byCategory.get(category) ?? { reference: 0, current: 0 };
      entry[side] += Number.isFinite(shares[index]) ? shares[index]! : 0;
      byCategory.set(category, entry);
    });
  };
  add(column.reference, 'reference');
  add(column.current, 'current');
  return [...byCategory].map(([category, { reference, current }]) => ({ category, reference, current, isNew: reference === 0 && current > 0 }));
}

/** The categories to draw: new ones first (they matter most), then the largest; drawn largest first. */
export function chooseCategoriesToDraw(all: CategoryShares[], limit = MAX_CATEGORIES_DRAWN): { drawn: CategoryShares[]; rest: CategoryShares[] } {
  const largestFirst = (a: CategoryShares, b: CategoryShares): number => Math.max(b.reference, b.current) - Math.max(a.reference, a.current);
  const chosen = new Set([...all.filter((c) => c.isNew).sort(largestFirst), ...all.filter((c) => !c.isNew).sort(largestFirst)].slice(0, limit));
  return { drawn: all.filter((c) => chosen.has(c)).sort(largestFirst), rest: all.filter((c) => !chosen.has(c)).sort(largestFirst) };
}

function categoricalBars(column: ColumnDrift, options: { inValueOrder?: boolean } = {}): ColumnChart {
  const all = categoryShares(column);
  if (all.length === 0) return { svg: emptyChart('No categories in either summary'), more: '' };
  const chosen = chooseCategoriesToDraw(all);
  // Values of a numeric column read best in their own order (0, 1, 2, …), not by size.
  const drawn = options.inValueOrder ? [...chosen.drawn].sort((a, b) => Number(a.category) - Number(b.category)) : chosen.drawn;
  const rest = chosen.rest;

  const rowHeight = 26;
  const top = 6;
  const labelRight = 172;
  const barLeft = labelRight + 8;
  const barRight = WIDTH - 98;
  const largest = Math.max(...drawn.map((c) => Math.max(c.reference, c.current)), Number.MIN_VALUE);
  const barWidth = (share: number): number => Math.max((share / largest) * (barRight - barLeft), share > 0 ? 1.5 : 0);

  const rows = drawn
    .map((category, index) => {
      const rowTop = top + index * rowHeight;
      const name = escapeHtml(truncateLabel(category.category, 20));
      const full = escapeHtml(category.category);
      const values = `${category.isNew ? 'new' : formatShare(category.reference)} → ${formatShare(category.current)}`;
      const bar = (share: number, side: 'reference' | 'current', offset: number): string =>
        share > 0
          ? `<rect class="bar bar-${side}" x="${barLeft}" y="${rowTop + offset}" width="${r(barWidth(share))}" height="9"><title>${side}: ${escapeHtml(formatShare(share))} of rows are ${full}</title></rect>`
          : '';
      return (
        `<g class="category${category.isNew ? ' category-new' : ''}">` +
        (category.isNew ? `<rect class="new-band" x="0" y="${rowTop}" width="${WIDTH}" height="${rowHeight - 2}" rx="3"/>` : '') +
        `<text class="category-label" x="${labelRight}" y="${rowTop + 16}" text-anchor="end">${name}<title>${full}</title></text>` +
        bar(category.reference, 'reference', 3) +
        bar(category.current, 'current', 13) +
        `<text class="category-values" x="${WIDTH - 4}" y="${rowTop + 16}" text-anchor="end">${escapeHtml(values)}</text>` +
        `</g>`
      );
    })
    .join('');
  const height = top * 2 + drawn.length * rowHeight;
  const svg =
    `<svg class="chart chart-categorical" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeHtml(`Share of rows per category of ${column.column}, reference and current`)}">` +
    `<line class="axis" x1="${barLeft}" x2="${barLeft}" y1="${top}" y2="${height - top}"/>${rows}</svg>`;
  return { svg, more: rest.length > 0 ? moreCategories(rest) : '' };
}

function moreCategories(rest: CategoryShares[]): string {
  const sum = (side: 'reference' | 'current'): number => rest.reduce((total, c) => total + c[side], 0);
  const newCount = rest.filter((c) => c.isNew).length;
  const rows = rest
    .map((c) => `<tr${c.isNew ? ' class="new"' : ''}><td>${escapeHtml(c.category)}${c.isNew ? ' <span class="tag-new">new</span>' : ''}</td><td class="num">${formatShare(c.reference)}</td><td class="num">${formatShare(c.current)}</td></tr>`)
    .join('');
  return (
    `<details class="more-categories"><summary>+${rest.length} more categories` +
    ` <span class="muted">(${formatShare(sum('reference'))} of reference rows, ${formatShare(sum('current'))} of current${newCount > 0 ? `, ${newCount} new` : ''})</span></summary>` +
    `<div class="scroll"><table><thead><tr><th>Category</th><th class="num">Reference</th><th class="num">Current</th></tr></thead><tbody>${rows}</tbody></table></div></details>`
  );
}

// ---- shared ------------------------------------------------------------------------------------

function emptyChart(message: string): string {
  return `<svg class="chart chart-empty" viewBox="0 0 ${WIDTH} 60" role="img" aria-label="${escapeHtml(message)}"><text class="tick" x="${WIDTH / 2}" y="34" text-anchor="middle">${escapeHtml(message)}</text></svg>`;
}

/** About `count` round tick values covering [low, high] (steps of 1, 2 or 5 × 10ⁿ). */
export function niceTicks(low: number, high: number, count: number): number[] {
  const span = high - low;
  if (!(span > 0) || !Number.isFinite(span)) return [low];
  const rough = span / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let tick = Math.floor(low / step) * step; tick < high + step * 0.999; tick += step) {
    ticks.push(Number(tick.toPrecision(12)));
    if (ticks.length > 50) break;
  }
  // Keep [low..high] covered: the first tick at or below low, the last at or above high.
  return ticks.filter((tick, index) => index === ticks.length - 1 || ticks[index + 1]! > low);
}

/** 0, 1, 2, 5, 10, 20, 50, … within [low, high], thinned to at most 7 for a log(1 + x) axis. */
function logTicks(low: number, high: number): number[] {
  const ticks: number[] = [];
  for (let power = 1; power <= high * 10 && ticks.length < 60; power *= 10) for (const m of [1, 2, 5]) ticks.push(m * power);
  const inside = [0, ...ticks].filter((tick) => tick >= low && tick <= high);
  const step = Math.ceil(inside.length / 7);
  return inside.filter((_, index) => index % step === 0);
}

function r(value: number): string {
  return String(Math.round(value * 10) / 10);
}
