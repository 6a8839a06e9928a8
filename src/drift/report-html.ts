/**
 * The drift report as one self-contained HTML page (inline CSS and SVG, no script, nothing
 * fetched): the verdict and its numbers first, then the findings, a row per column and a chart
 * per column. `writeDriftReport` puts the page and the report's JSON side by side, atomically.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ColumnDrift, DriftFinding, DriftFindingKind, DriftReport } from './drift-report.js';
import { columnChart } from './report-charts.js';
import {
  columnVerdict, driftRule, escapeHtml, formatCount, formatDuration, formatNumber, formatShare, formatTime,
  isPValueTest, testName, verdictBadge, type Verdict,
} from './report-format.js';
import { reportPageHead } from './report-style.js';

export interface DriftReportLink {
  label: string;
  href: string;
}

export interface DriftReportHtmlOptions {
  /** Page title and heading; defaults to `Drift report: <model> v<version>`. */
  title?: string;
  /** Shown in the header, e.g. the workflow run in the Temporal Web UI, the JSON. */
  links?: DriftReportLink[];
}

export const REPORT_HTML_FILE = 'report.html';
export const REPORT_JSON_FILE = 'report.json';

// Nothing may be loaded or run even if some text slipped through unescaped.

type PageStatus = 'drift' | 'warn' | 'ok';

export function renderDriftReportHtml(report: DriftReport, options: DriftReportHtmlOptions = {}): string {
  const title = options.title ?? `Drift report: ${report.model} v${report.version}`;
  // Drifted columns first, then columns in error, then the rest, each group in report order.
  const rank: Record<Verdict, number> = { drift: 0, error: 1, ok: 2 };
  const columns = report.columns.map((column, index) => ({ column, index, verdict: columnVerdict(column) })).sort((a, b) => rank[a.verdict] - rank[b.verdict] || a.index - b.index);
  const findingsByColumn = groupBy(report.findings, (finding) => finding.column);
  return [
    ...reportPageHead(escapeHtml(title)),
    `<header class="top"><div><h1>${escapeHtml(title)}</h1><div class="muted">Generated ${escapeHtml(formatTime(report.generatedAt))}</div></div>${renderLinks(options.links ?? [])}</header>`,
    renderSummary(report),
    renderFindings(report.findings),
    renderColumnTable(columns, findingsByColumn),
    renderCharts(columns, findingsByColumn),
    `<footer>Reference: the training data of ${escapeHtml(report.model)} v${report.version} (${formatCount(report.referenceRows)} rows). Drift tests and thresholds follow Evidently's defaults unless the pipeline definition sets them.</footer>`,
    '</main></body></html>',
    '',
  ].join('\n');
}

function pageStatus(report: DriftReport): PageStatus {
  if (report.datasetDrift) return 'drift';
  const errors = report.columns.some((column) => columnVerdict(column) === 'error');
  return report.drifted > 0 || errors || report.findings.some((finding) => finding.severity === 'critical') ? 'warn' : 'ok';
}

function renderSummary(report: DriftReport): string {
  const status = pageStatus(report);
  const headline = { drift: 'Dataset drift detected', warn: 'No dataset drift, but some columns need a look', ok: 'No drift detected' }[status];
  const errors = report.columns.filter((column) => columnVerdict(column) === 'error').length;
  const comparison = report.datasetDrift ? 'at or above' : 'below';
  const explanation =
    `${report.drifted} of ${report.evaluated} evaluated columns drifted (${formatShare(report.share)}), ${comparison} the dataset-drift threshold of ${formatShare(report.datasetThreshold)}` +
    (errors > 0 ? `; ${errors} column${errors === 1 ? '' : 's'} could not be evaluated` : '') + '.';
  const percent = (share: number): number => (Number.isFinite(share) ? Math.min(Math.max(share, 0), 1) * 100 : 0);
  const fillWidth = percent(report.share);
  const markLeft = percent(report.datasetThreshold);
  const duration = formatDuration(report.window.from, report.window.to);
  const critical = report.findings.filter((finding) => finding.severity === 'critical').length;
  return `<section aria-label="Summary">
<div class="status status-${status}" role="status"><span class="dot"></span><div><strong>${headline}</strong><p>${escapeHtml(explanation)}</p></div></div>
<div class="cards">
${card('Model', escapeHtml(report.model), `champion v${report.version}`)}
${card('Window', escapeHtml(duration || 'window'), `${escapeHtml(formatTime(report.window.from))} → ${escapeHtml(formatTime(report.window.to))}`)}
${card('Rows', formatCount(report.currentRows), `current, vs ${formatCount(report.referenceRows)} in the reference`)}
<div class="card panel"><div class="label">Drifted columns</div><div class="value">${report.drifted} of ${report.evaluated} <span class="muted">(${formatShare(report.share)})</span></div>
<div class="meter" title="drift share vs dataset threshold"><div class="fill fill-${status}" style="width:${fillWidth.toFixed(1)}%"></div><div class="mark" style="left:${markLeft.toFixed(1)}%"></div></div>
<div class="sub">dataset drift at ≥ ${formatShare(report.datasetThreshold)}: <b>${report.datasetDrift ? 'yes' : 'no'}</b></div></div>
${card('Findings', String(report.findings.length), `${critical} critical, ${report.findings.length - critical} warning${errors > 0 ? `; ${errors} column error${errors === 1 ? '' : 's'}` : ''}`)}
</div></section>`;
}

function card(label: string, valueHtml: string, subHtml: string): string {
  return `<div class="card panel"><div class="label">${label}</div><div class="value">${valueHtml}</div><div class="sub">${subHtml}</div></div>`;
}

const FINDING_GROUPS: { kind: DriftFindingKind; heading: string }[] = [
  { kind: 'missing-share-shift', heading: 'Missing-value shifts' },
  { kind: 'new-category', heading: 'New categories' },
  { kind: 'column-error', heading: 'Column errors' },
];

function renderFindings(findings: DriftFinding[]): string {
  const body =
    findings.length === 0
      ? '<p class="none muted">No missing-value shifts, new categories or column errors.</p>'
      : FINDING_GROUPS.map(({ kind, heading }) => {
          const group = findings.filter((finding) => finding.kind === kind).sort((a, b) => Number(b.severity === 'critical') - Number(a.severity === 'critical'));
          if (group.length === 0) return '';
          return `<h3>${heading} (${group.length})</h3><ul>${group.map(renderFinding).join('')}</ul>`;
        }).join('');
  return `<section aria-labelledby="findings-heading"><h2 id="findings-heading">Findings</h2><div class="panel findings">${body}</div></section>`;
}

function renderFinding(finding: DriftFinding): string {
  return `<li class="finding finding-${finding.kind}"><span class="badge sev-${finding.severity}">${finding.severity}</span><code>${escapeHtml(finding.column)}</code><span>${escapeHtml(finding.detail)}</span></li>`;
}

interface RankedColumn {
  column: ColumnDrift;
  index: number;
  verdict: Verdict;
}

/** The statistic; "approximate: value in [low, high]" when it came from quantile sketches. */
function statisticText(column: ColumnDrift): string {
  const value = formatNumber(column.statistic);
  if (!column.approximate) return value;
  const range = column.interval ? ` in [${formatNumber(column.interval[0])}, ${formatNumber(column.interval[1])}]` : '';
  return `≈ ${value}${range}${column.undecided ? ' (undecided)' : ''}`;
}

function renderColumnTable(columns: RankedColumn[], findingsByColumn: Map<string, DriftFinding[]>): string {
  const rows = columns.map(({ column, index, verdict }) => {
    const nullShift = (findingsByColumn.get(column.column) ?? []).some((finding) => finding.kind === 'missing-share-shift');
    const pValue = isPValueTest(column.test) ? formatNumber(column.pValue) : '<span class="muted" title="a distance: no p-value">—</span>';
    return `<tr class="row-${verdict}"><td><a href="#chart-${index}"><code>${escapeHtml(column.column)}</code></a>${column.error ? `<div class="error-text">${escapeHtml(column.error)}</div>` : ''}</td>` +
      `<td>${column.kind}</td><td>${escapeHtml(testName(column.test))}</td><td class="num">${statisticText(column)}</td><td class="num">${pValue}</td>` +
      `<td class="num">${escapeHtml(driftRule(column))}</td><td>${verdictBadge(verdict)}</td>` +
      `<td class="num${nullShift ? ' shifted' : ''}">${formatShare(column.reference.nullShare)} → ${formatShare(column.current.nullShare)}</td></tr>`;
  });
  return `<section aria-labelledby="columns-heading"><h2 id="columns-heading">Columns (${columns.length})</h2>
<div class="panel table-wrap"><table aria-label="Drift per column"><thead><tr><th>Column</th><th>Kind</th><th>Test</th><th class="num">Statistic</th><th class="num">p-value</th><th class="num">Drift when</th><th>Verdict</th><th class="num">Nulls ref → cur</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div></section>`;
}

function renderCharts(columns: RankedColumn[], findingsByColumn: Map<string, DriftFinding[]>): string {
  const cards = columns.map(({ column, index, verdict }) => {
    const chart = columnChart(column);
    const measured = isPValueTest(column.test) ? `p = ${formatNumber(column.pValue)} (statistic ${statisticText(column)})` : statisticText(column);
    const notes = (findingsByColumn.get(column.column) ?? []).map((finding) => `<li>${escapeHtml(finding.detail)}</li>`).join('');
    return `<article class="panel chart-card card-${verdict}" id="chart-${index}" aria-label="${escapeHtml(`Chart of ${column.column}`)}">
<header><h3><code>${escapeHtml(column.column)}</code></h3>${verdictBadge(verdict)}</header>
<div class="test">${column.kind} · ${escapeHtml(testName(column.test))}: ${escapeHtml(measured)}, drift when ${escapeHtml(driftRule(column))}</div>
${column.error ? `<div class="error-text">${escapeHtml(column.error)}</div>` : ''}${chart.svg}${chart.more}
<div class="stats">${escapeHtml(summaryLine(column))}</div>${notes ? `<ul class="notes">${notes}</ul>` : ''}
</article>`;
  });
  const legend = '<div class="legend"><span><span class="swatch swatch-reference"></span>reference</span><span><span class="swatch swatch-current"></span>current</span><span><span class="swatch swatch-new"></span>new category</span></div>';
  return `<section aria-labelledby="charts-heading"><h2 id="charts-heading">Reference vs current</h2>${legend}<div class="charts">${cards.join('\n')}</div></section>`;
}

function summaryLine(column: ColumnDrift): string {
  const { reference, current } = column;
  const parts = [`rows ${formatCount(reference.count)} → ${formatCount(current.count)}`, `nulls ${formatShare(reference.nullShare)} → ${formatShare(current.nullShare)}`];
  if (column.kind === 'numeric') {
    parts.push(`mean ${formatNumber(reference.mean)} → ${formatNumber(current.mean)}`, `std ${formatNumber(reference.std)} → ${formatNumber(current.std)}`);
  }
  return parts.join(' · ');
}

function renderLinks(links: DriftReportLink[]): string {
  if (links.length === 0) return '';
  return `<nav>${links.map((link) => `<a href="${escapeHtml(safeHref(link.href))}">${escapeHtml(link.label)}</a>`).join('')}</nav>`;
}

/** Relative links and http(s)/mailto only: a `javascript:` link would be script by another name. */
function safeHref(href: string): string {
  const scheme = /^\s*([a-z][a-z0-9+.-]*):/i.exec(href)?.[1]?.toLowerCase();
  return scheme === undefined || scheme === 'http' || scheme === 'https' || scheme === 'mailto' ? href : '#';
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

export interface WrittenDriftReport {
  htmlPath: string;
  jsonPath: string;
}

/**
 * Writes `report.json` and `report.html` into `dir` (created if missing), each atomically: a
 * reader sees the previous file or the whole new one. The page links to its JSON.
 */
export async function writeDriftReport(report: DriftReport, dir: string, options: DriftReportHtmlOptions = {}): Promise<WrittenDriftReport> {
  await mkdir(dir, { recursive: true });
  const jsonPath = path.join(dir, REPORT_JSON_FILE);
  const htmlPath = path.join(dir, REPORT_HTML_FILE);
  const links = [...(options.links ?? []), { label: 'JSON', href: REPORT_JSON_FILE }];
  await writeFileAtomically(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  await writeFileAtomically(htmlPath, renderDriftReportHtml(report, { ...options, links }));
  return { htmlPath, jsonPath };
}

async function writeFileAtomically(target: string, text: string): Promise<void> {
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}
