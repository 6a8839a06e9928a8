/**
 * The performance report as one self-contained page (inline CSS and SVG, no script, nothing
 * fetched, readable without JavaScript): what was found first, then per version a chart of each
 * monitored metric over the windows (realised from labels, CBPE estimate with its band, training
 * hold-out baseline and its bound), the window table with label coverage, and production
 * fairness per window. Same look as the drift report (its stylesheet and number formatting).
 */
import { escapeHtml, formatCount, formatNumber, formatShare, formatTime, svgLinePath } from '../drift/report-format.js';
import { reportPageHead } from '../drift/report-style.js';
import type { EstimatedMetricName, RealisedMetricName } from './performance-metric-names.js';
import type { PerformanceReport } from './performance-report.js';

type ReportWindow = PerformanceReport['windows'][number];


const PAGE_CSS = `
.verdict-degraded, .verdict-breached, .verdict-drift { color: var(--drift); background: var(--drift-bg); }
.verdict-incomplete { color: var(--warn); background: var(--warn-bg); }
.verdict-ok { color: var(--ok); background: var(--ok-bg); }
.coverage { display: inline-block; width: 70px; height: 7px; background: var(--line); border-radius: 4px; margin-right: 6px; vertical-align: middle; position: relative; }
.coverage span { position: absolute; inset: 0 auto 0 0; background: var(--reference); border-radius: 4px; }
.why { color: var(--muted); font-size: 12px; }
svg .realised { stroke: var(--current); stroke-width: 2; fill: none; }
svg .realised-dot { fill: var(--current); }
svg .estimated { stroke: var(--reference); stroke-width: 2; fill: none; stroke-dasharray: 5 3; }
svg .band { fill: var(--reference); fill-opacity: .15; }
svg .baseline { stroke: var(--ok); stroke-width: 1.5; }
svg .bound { stroke: var(--drift); stroke-width: 1; stroke-dasharray: 3 3; }
.swatch-realised { background: var(--current); } .swatch-estimated { background: var(--reference); } .swatch-baseline { background: var(--ok); } .swatch-bound { background: var(--drift); }
`;

export function renderPerformanceReportHtml(report: PerformanceReport, options: { jsonHref?: string } = {}): string {
  const title = `Performance report: ${report.model}`;
  const versions = [...new Set(report.windows.map((window) => window.version))].sort((a, b) => a - b);
  const links = options.jsonHref ? `<nav><a href="${escapeHtml(options.jsonHref)}">JSON</a></nav>` : '';
  return [
    ...reportPageHead(escapeHtml(title), PAGE_CSS),
    `<header class="top"><div><h1>${escapeHtml(title)}</h1><div class="muted">As of ${escapeHtml(formatTime(report.asOf))}; windows of ${escapeHtml(report.window)} over the last ${escapeHtml(report.lookback)}; threshold ${formatNumber(report.threshold)}</div></div>${links}</header>`,
    renderSummary(report),
    ...versions.map((version) => renderVersion(report, version)),
    `<footer>Realised metrics use only the labels that had arrived by ${escapeHtml(formatTime(report.asOf))}. A window is <b>incomplete</b> until it has ended and has enough labels (count and share of its predictions): its metrics are shown but never judged, so a missing label never reads as a missed fraud. Estimated metrics are NannyML's CBPE, fitted on the version's training hold-out; they need no labels. Concept drift: the realised metric falls outside the estimate's band on the same labelled rows. Baseline: the version's training hold-out metric.</footer>`,
    '</main></body></html>',
    '',
  ].join('\n');
}

function renderSummary(report: PerformanceReport): string {
  const findings = report.windows.flatMap((window) => window.findings);
  const incomplete = report.windows.filter((window) => !window.complete).length;
  const status = findings.length > 0 ? 'drift' : incomplete > 0 ? 'warn' : 'ok';
  const headline = findings.length > 0 ? `${findings.length} finding${findings.length === 1 ? '' : 's'}` : incomplete > 0 ? 'Nothing found in the complete windows' : 'No degradation found';
  const text = `${report.windows.length} window${report.windows.length === 1 ? '' : 's'} checked, ${report.windows.length - incomplete} complete, ${incomplete} still waiting for labels.`;
  const list = findings.length === 0 ? '' : `<div class="panel findings"><ul>${findings.map((finding) => `<li><span class="badge sev-critical">${escapeHtml(finding.kind)}</span><span>${escapeHtml(finding.summary)}</span></li>`).join('')}</ul></div>`;
  return `<section aria-label="Summary"><div class="status status-${status}" role="status"><span class="dot"></span><div><strong>${escapeHtml(headline)}</strong><p>${escapeHtml(text)}</p></div></div>${list}</section>`;
}

function renderVersion(report: PerformanceReport, version: number): string {
  const windows = report.windows.filter((window) => window.version === version);
  const reference = report.versions.find((entry) => entry.version === version);
  const metrics = [...new Set(windows.flatMap((window) => window.performance.metrics.map((metric) => metric.metric)))];
  const cbpeNote = reference?.cbpe
    ? `CBPE fitted on ${formatCount(reference.cbpe.referenceRows)} hold-out rows; calibration ${reference.cbpe.calibration.needed ? 'applied' : 'not needed'} (ECE ${formatNumber(reference.cbpe.calibration.eceBefore)} → ${formatNumber(reference.cbpe.calibration.eceAfter)}).`
    : `No estimate: ${reference?.cbpeUnavailable ?? 'no CBPE model'}.`;
  return `<section aria-labelledby="v${version}-heading"><h2 id="v${version}-heading">Version ${version}</h2>
<p class="muted">${escapeHtml(cbpeNote)}</p>
<div class="legend"><span><span class="swatch swatch-realised"></span>realised (labels)</span><span><span class="swatch swatch-estimated"></span>estimated (CBPE, band = ±3 sampling errors)</span><span><span class="swatch swatch-baseline"></span>training hold-out</span><span><span class="swatch swatch-bound"></span>lowest allowed</span></div>
<div class="charts">${metrics.map((metric) => metricChart(windows, metric)).join('')}</div>
<h3 style="margin-top:16px">Windows</h3>${windowTable(windows, metrics)}
${report.fairnessAttribute ? fairnessTable(windows, report.fairnessAttribute) : ''}
</section>`;
}

function windowTable(windows: ReportWindow[], metrics: RealisedMetricName[]): string {
  const head = `<tr><th>Window</th><th class="num">Predictions</th><th>Labels</th><th>Verdict</th>${metrics.map((metric) => `<th class="num">${escapeHtml(metric)}<br><span class="why">realised / estimated / baseline</span></th>`).join('')}<th>Concept drift</th></tr>`;
  const rows = windows.map((window) => {
    const cells = metrics.map((metric) => {
      const verdict = window.performance.metrics.find((entry) => entry.metric === metric);
      const estimated = estimatedValue(window, metric);
      return `<td class="num" title="${escapeHtml(verdict?.detail ?? '')}">${formatNumber(window.realised[metric])} / ${formatNumber(estimated)} / ${formatNumber(verdict?.baseline)}</td>`;
    });
    const concept = window.conceptDrift === null ? '—' : window.conceptDrift.detected ? badge('drift', 'concept drift') : window.complete ? badge('ok', 'none') : badge('incomplete', 'not yet');
    return `<tr><td>${escapeHtml(windowTime(window.start, window))}<br><span class="why">to ${escapeHtml(windowTime(window.end, window))}</span></td><td class="num">${formatCount(window.predicted)}</td>` +
      `<td><span class="coverage"><span style="width:${(window.labelCoverage * 100).toFixed(1)}%"></span></span>${formatCount(window.labelled)} (${formatShare(window.labelCoverage)})</td>` +
      `<td>${badge(window.performance.verdict, window.performance.verdict)}${window.incompleteBecause ? `<div class="why">${escapeHtml(window.incompleteBecause)}</div>` : ''}</td>${cells.join('')}<td>${concept}</td></tr>`;
  });
  return `<div class="panel table-wrap"><table><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function fairnessTable(windows: ReportWindow[], attribute: string): string {
  const rows = windows.filter((window) => window.fairness !== null).map((window) => {
    const fairness = window.fairness!;
    const rates = fairness.selectionGroups.map((group) => `${escapeHtml(group.name)} ${formatShare(group.selectionRate)}`).join(', ') || '—';
    const checks = fairness.checks.map((check) => `${escapeHtml(check.metric)} ${formatNumber(check.value)} ${badge(check.verdict, check.verdict)}`).join('<br>');
    return `<tr><td>${escapeHtml(windowTime(window.start, window))}</td><td>${badge(fairness.verdict, fairness.verdict)}</td><td>${rates}</td><td>${checks}</td></tr>`;
  });
  return `<h3 style="margin-top:16px">Production fairness over <code>${escapeHtml(attribute)}</code></h3><div class="panel table-wrap"><table><thead><tr><th>Window</th><th>Verdict</th><th>Selection rate per group</th><th>Gate metrics (training gate's bounds)</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function badge(verdict: string, text: string): string {
  return `<span class="badge verdict-${escapeHtml(verdict)}">${escapeHtml(text)}</span>`;
}

function estimatedValue(window: ReportWindow, metric: RealisedMetricName): number | null {
  if (metric === 'log_loss' || window.estimated === null) return null;
  return window.estimated.metrics[metric as EstimatedMetricName].value;
}

/** One metric over the windows of a version: realised line, estimate with band, baseline and the lowest value allowed. */
function metricChart(windows: ReportWindow[], metric: RealisedMetricName): string {
  const width = 440;
  const height = 180;
  const left = 40;
  const right = 10;
  const top = 10;
  const bottom = 24;
  const x = (index: number) => left + (windows.length <= 1 ? (width - left - right) / 2 : (index * (width - left - right)) / (windows.length - 1));
  const verdicts = windows.map((window) => window.performance.metrics.find((entry) => entry.metric === metric));
  const baseline = verdicts.find((verdict) => verdict?.baseline !== null && verdict?.baseline !== undefined)?.baseline ?? null;
  const maxDrop = verdicts[0]?.maxDrop ?? null;
  const bound = baseline === null || maxDrop === null ? null : metric === 'log_loss' ? baseline + maxDrop : baseline - maxDrop;
  const values = windows.flatMap((window) => {
    const estimate = metric === 'log_loss' ? null : window.estimated?.metrics[metric as EstimatedMetricName] ?? null;
    return [window.realised[metric], estimate?.lower ?? null, estimate?.upper ?? null, estimate?.value ?? null];
  });
  const known = [...values, baseline, bound].filter((value): value is number => value !== null && Number.isFinite(value));
  const low = Math.min(0, ...known);
  const high = Math.max(metric === 'log_loss' ? 0.1 : 1, ...known);
  const y = (value: number) => top + (height - top - bottom) * (1 - (value - low) / (high - low || 1));
  const path = (points: Array<[number, number | null]>) => svgLinePath(points.map(([px, value]) => [px, value === null || !Number.isFinite(value) ? null : y(value)]));
  const estimates = windows.map((window) => (metric === 'log_loss' ? null : window.estimated?.metrics[metric as EstimatedMetricName] ?? null));
  const bandPoints = estimates.map((estimate, index) => (estimate?.lower != null && estimate.upper != null ? { x: x(index), lower: estimate.lower, upper: estimate.upper } : null)).filter((point) => point !== null);
  const band = bandPoints.length === 0 ? '' : `<path class="band" d="M${bandPoints.map((p) => `${p.x.toFixed(1)},${y(p.upper).toFixed(1)}`).join('L')}L${[...bandPoints].reverse().map((p) => `${p.x.toFixed(1)},${y(p.lower).toFixed(1)}`).join('L')}Z"/>`;
  const line = (value: number | null, cls: string) => (value === null ? '' : `<line class="${cls}" x1="${left}" x2="${width - right}" y1="${y(value).toFixed(1)}" y2="${y(value).toFixed(1)}"/>`);
  const dots = windows.map((window, index) => (window.realised[metric] === null ? '' : `<circle class="realised-dot" cx="${x(index).toFixed(1)}" cy="${y(window.realised[metric]!).toFixed(1)}" r="${window.complete ? 3.5 : 2}"><title>${escapeHtml(`${windowTime(window.start, window)}: ${metric} ${formatNumber(window.realised[metric])}${window.complete ? '' : ' (incomplete)'}`)}</title></circle>`)).join('');
  const ticks = [low, (low + high) / 2, high].map((value) => `<text class="tick" x="${left - 4}" y="${(y(value) + 4).toFixed(1)}" text-anchor="end">${formatNumber(value)}</text>`).join('');
  const first = windows[0] ? `<text class="tick" x="${left}" y="${height - 6}">${escapeHtml(formatTime(windows[0].start).slice(5, 16))}</text>` : '';
  const last = windows.length > 1 ? `<text class="tick" x="${width - right}" y="${height - 6}" text-anchor="end">${escapeHtml(formatTime(windows.at(-1)!.start).slice(5, 16))}</text>` : '';
  return `<div class="panel chart-card"><header><h3>${escapeHtml(metric)}</h3></header>
<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(`${metric} per window: realised and estimated`)}">
<line class="axis" x1="${left}" x2="${left}" y1="${top}" y2="${height - bottom}"/>${ticks}${band}${line(baseline, 'baseline')}${line(bound, 'bound')}
<path class="estimated" d="${path(estimates.map((estimate, index) => [x(index), estimate?.value ?? null]))}"/>
<path class="realised" d="${path(windows.map((window, index) => [x(index), window.realised[metric]]))}"/>${dots}${first}${last}
</svg></div>`;
}

/** A window's edge: to the minute, or to the second for windows shorter than a minute (30 s windows would otherwise read 02:43 to 02:43). */
function windowTime(iso: string, window: { start: string; end: string }): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time) || Date.parse(window.end) - Date.parse(window.start) >= 60_000) return formatTime(iso);
  return `${new Date(time).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
