/**
 * Text for the drift report page: HTML escaping (every string that came from data goes through
 * `escapeHtml`), numbers, shares, times, and the words a person reads for each test and verdict.
 */
import type { ColumnDrift, DriftTest } from './drift-report.js';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe in element text and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] ?? character);
}

/** Cuts a long label to `max` characters with an ellipsis (before escaping, so entities stay whole). */
export function truncateLabel(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}

/** Three significant digits; exponent notation for very small or large magnitudes. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude < 1e-3 || magnitude >= 1e6) return value.toExponential(2).replace('e+', 'e');
  if (magnitude >= 1000) return Math.round(value).toLocaleString('en-US');
  return String(Number(value.toPrecision(3)));
}

/** A share 0..1 as a percentage a person can compare at a glance. */
export function formatShare(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '—';
  if (share === 0) return '0%';
  const percent = share * 100;
  if (Math.abs(percent) < 0.1) return '<0.1%';
  return `${Number(percent.toFixed(percent >= 10 ? 1 : 2))}%`;
}

export function formatCount(count: number): string {
  return Number.isFinite(count) ? Math.round(count).toLocaleString('en-US') : '—';
}

/** `2025-03-01 00:00 UTC`; anything unparsable is shown as it came. */
export function formatTime(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  return `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `24 h`, `90 min`, `7 d` between two ISO times; empty when either is unparsable. */
export function formatDuration(fromIso: string, toIso: string): string {
  const milliseconds = Date.parse(toIso) - Date.parse(fromIso);
  if (!Number.isFinite(milliseconds) || milliseconds < 0) return '';
  const minutes = milliseconds / 60_000;
  if (minutes < 120) return `${Number(minutes.toFixed(1))} min`;
  const hours = minutes / 60;
  if (hours < 72) return `${Number(hours.toFixed(1))} h`;
  return `${Number((hours / 24).toFixed(1))} d`;
}

const TEST_NAMES: Record<DriftTest, string> = {
  ks: 'K-S test',
  chisquare: 'Chi-square test',
  z: 'Z-test (proportions)',
  wasserstein: 'Wasserstein (normed)',
  jensenshannon: 'Jensen-Shannon distance',
  psi: 'PSI',
  kl: 'K-L divergence',
  psi_reference_quantiles: 'PSI (reference quantiles)',
};

export function testName(test: DriftTest): string {
  return TEST_NAMES[test] ?? test;
}

/** The tests whose verdict compares a p-value with the threshold (the others compare a distance). */
export function isPValueTest(test: DriftTest): boolean {
  return test === 'ks' || test === 'chisquare' || test === 'z';
}

/** The rule the verdict applied, e.g. `p ≤ 0.05` or `≥ 0.1`, as drift-report.ts defines it. */
export function driftRule(column: Pick<ColumnDrift, 'test' | 'threshold'>): string {
  const threshold = formatNumber(column.threshold);
  if (column.test === 'chisquare') return `p < ${threshold}`;
  if (isPValueTest(column.test)) return `p ≤ ${threshold}`;
  return `≥ ${threshold}`;
}

export type Verdict = 'drift' | 'error' | 'ok';

export function columnVerdict(column: ColumnDrift): Verdict {
  if (column.drifted === true) return 'drift';
  return column.drifted === null || column.error !== undefined ? 'error' : 'ok';
}

const VERDICT_LABELS: Record<Verdict, string> = { drift: 'Drift', error: 'Error', ok: 'No drift' };

export function verdictBadge(verdict: Verdict): string {
  return `<span class="badge badge-${verdict}">${VERDICT_LABELS[verdict]}</span>`;
}

/** An SVG path through (x, y) points in pixels; a null y breaks the line (a gap, not a drop to zero). */
export function svgLinePath(points: ReadonlyArray<readonly [number, number | null]>): string {
  return points.reduce((d, [x, y]) => (y === null || !Number.isFinite(y) ? `${d} ` : `${d}${d.endsWith(' ') || d === '' ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`), '').trim();
}
