/**
 * The model page (`GET /models/<model>` on `mlops api`): one self-contained HTML page, no script,
 * that an operator opens at 3 a.m. — the latest canary first (phase and weight, or its outcome and
 * the reason), its checks as charts against the SLA (error rate and p99, canary beside champion),
 * its decisions, then the recent canaries and the versions. While a canary runs the page reloads
 * itself every few seconds (a meta refresh: the CSP forbids scripts).
 */
import { describeKpiComparison } from '../canary/kpi-comparison.js';
import { escapeHtml, formatNumber, formatTime, svgLinePath } from '../drift/report-format.js';
import { reportPageHead } from '../drift/report-style.js';
import type { RecordedCheck } from '../canary/analysis-state.js';
import type { ExperimentState } from '../temporal/canary-status.js';
import type { CanarySummary, ModelPageData } from './model-page-data.js';

const REFRESH_SECONDS = 3;

const PAGE_CSS = `
.outcome-promoted { color: var(--ok); background: var(--ok-bg); border-color: #bfe0c1; }
.outcome-rolled-back, .outcome-failed { color: var(--drift); background: var(--drift-bg); border-color: #f4c3bf; }
.outcome-running { color: #2855a5; background: #eaf1fb; border-color: #c5d6f0; }
.verdict-pass { color: var(--ok); background: var(--ok-bg); } .verdict-fail { color: var(--drift); background: var(--drift-bg); }
.verdict-inconclusive { color: var(--warn); background: var(--warn-bg); } .verdict-error { color: var(--error); background: var(--error-bg); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 12px; }
.chart-card { padding: 10px 14px; }
svg.chart { width: 100%; height: auto; display: block; }
svg .axis { stroke: var(--line); }
svg .tick { font-size: 10px; fill: var(--muted); }
svg .canary { stroke: var(--current); stroke-width: 2; fill: none; }
svg .canary-dot { fill: var(--current); }
svg .canary-dot.fail { fill: var(--drift); }
svg .champion { stroke: var(--reference); stroke-width: 2; fill: none; stroke-dasharray: 5 3; }
svg .sla { stroke: var(--drift); stroke-width: 1; stroke-dasharray: 3 3; }
.legend { display: flex; gap: 14px; font-size: 12px; color: var(--muted); margin: 4px 0 8px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
.swatch-canary { background: var(--current); } .swatch-champion { background: var(--reference); } .swatch-sla { background: var(--drift); }
.events { margin: 0; padding: 8px 18px; list-style: none; }
.events li { padding: 3px 0; border-top: 1px solid var(--line); }
.events li:first-child { border-top: 0; }
.why { color: var(--muted); font-size: 12px; }
footer { margin-top: 24px; color: var(--muted); font-size: 12px; }
`;

export interface ModelPageOptions {
  /** The definition's SLA, drawn as the bound on the charts. */
  sla?: { errorRateMax: number; latencyP99MsMax: number };
  /** Link to the Temporal Web UI for a workflow id. */
  webUiLink?: (workflowId: string) => string;
}

export function renderModelPageHtml(data: ModelPageData, options: ModelPageOptions = {}): string {
  const latest = data.canaries[0];
  const running = latest?.running === true;
  const title = `Model ${data.model}`;
  return [
    ...reportPageHead(escapeHtml(title), PAGE_CSS, running ? { refreshSeconds: REFRESH_SECONDS } : {}),
    `<header class="top"><div><h1>${escapeHtml(title)}</h1><div class="muted">As of ${escapeHtml(formatTime(data.generatedAt))}${running ? `; reloads every ${REFRESH_SECONDS} s while the canary runs` : ''}</div></div><nav><a href="/models/${encodeURIComponent(data.model)}.json">JSON</a></nav></header>`,
    renderCards(data),
    latest ? renderLatestCanary(latest, options) : '<div class="panel card"><p>No canary has run for this model yet.</p></div>',
    renderRecentCanaries(data.canaries, options),
    renderVersions(data),
    '<footer>Checks: the current step\'s checks of the latest canary (at most 200), each over its metrics window; a finished step keeps its summary. Champion numbers are the same window\'s. SLA: the definition\'s bounds.</footer>',
    '</main></body></html>',
    '',
  ].join('\n');
}

function renderCards(data: ModelPageData): string {
  const champion = data.versions.find((version) => version.aliases.includes('champion'));
  const latest = data.canaries[0];
  const card = (label: string, value: string, sub: string) => `<div class="panel card"><div class="label">${escapeHtml(label)}</div><div class="value">${value}</div><div class="sub">${sub}</div></div>`;
  return `<section class="cards">${[
    card('Champion', champion ? `v${champion.version}` : '—', champion ? `registered ${escapeHtml(formatTime(champion.createdAt))}` : 'no champion yet'),
    card('Latest canary', latest?.status ? `v${latest.status.canaryVersion}` : latest ? escapeHtml(latest.workflowId) : '—', latest ? escapeHtml(canaryState(latest)) : 'none'),
    card('Versions', String(data.versions.length), `${data.versions.filter((version) => version.status === 'rejected').length} rejected`),
  ].join('')}</section>`;
}

function canaryState(canary: CanarySummary): string {
  if (canary.running) return canary.status ? `${canary.status.phase} at ${canary.status.weight}%` : 'running';
  if (canary.outcome) return canary.outcome.result;
  return canary.closedAs ?? 'finished';
}

function renderLatestCanary(canary: CanarySummary, options: ModelPageOptions): string {
  const status = canary.status;
  const version = status?.canaryVersion ?? canary.outcome?.version;
  const heading = `<h2>Latest canary${version !== undefined ? `: v${version}` : ''}${status?.championVersion !== undefined ? ` against champion v${status.championVersion}` : ''}</h2>`;
  let banner: string;
  if (canary.running) {
    const remaining = status?.windowRemainingMs !== undefined ? `, ${Math.ceil(status.windowRemainingMs / 1000)} s left in the window` : '';
    const step = status ? `step ${status.analysis.stepIndex + 1}, ${status.weight}% of traffic${remaining}` : 'status unavailable (no worker answered)';
    const latestDecision = status?.analysis.decision ? `Latest decision: ${status.analysis.decision.action} — ${status.analysis.decision.reason}` : 'No decision yet.';
    banner = `<div class="status outcome-running"><span class="dot"></span><div><strong>${escapeHtml(status?.phase ?? 'running')}</strong> <span>${escapeHtml(step)}</span><p>${escapeHtml(latestDecision)}</p></div></div>`;
  } else if (canary.outcome) {
    const result = canary.outcome.result;
    banner = `<div class="status outcome-${result}"><span class="dot"></span><div><strong>${result === 'promoted' ? 'Promoted' : 'Rolled back'}</strong><p>${escapeHtml(canary.outcome.reason)}</p></div></div>`;
  } else {
    banner = `<div class="status outcome-failed"><span class="dot"></span><div><strong>${escapeHtml(canary.closedAs ?? 'ended')}</strong><p>The canary workflow ended without an outcome; see its history.</p></div></div>`;
  }
  if (status?.shadow) banner += `<p class="muted">${escapeHtml(status.shadow.summary)}${status.shadow.passed ? ' — shadow gates passed' : ''}</p>`;
  if (status?.experiment) banner += experimentReport(status.experiment);
  const link = options.webUiLink ? ` <a href="${escapeHtml(options.webUiLink(canary.workflowId))}">Web UI</a>` : '';
  const meta = `<p class="muted">${escapeHtml(canary.workflowId)}, started ${escapeHtml(formatTime(canary.startedAt))}${canary.closedAt ? `, ended ${escapeHtml(formatTime(canary.closedAt))}` : ''}.${link}</p>`;
  if (!status) return `<section>${heading}${banner}${meta}</section>`;
  const checks = status.analysis.checks;
  const charts = `<div class="legend"><span><i class="swatch-canary"></i>canary</span><span><i class="swatch-champion"></i>champion</span><span><i class="swatch-sla"></i>SLA bound</span></div>
<div class="charts">${chart('Error rate per check', checks, (check) => check.numbers.errorRate, (check) => check.numbers.championErrorRate, options.sla?.errorRateMax)}${chart('p99 latency per check (ms)', checks, (check) => check.numbers.latencyP99Ms, (check) => check.numbers.championLatencyP99Ms ?? null, options.sla?.latencyP99MsMax)}</div>`;
  const steps = status.analysis.history.map((step) => `<tr><td class="num">${step.stepIndex + 1}</td><td class="num">${step.weight}%</td><td class="num">${step.counters.pass} / ${step.counters.fail} / ${step.counters.inconclusive} / ${step.counters.error}</td><td>${escapeHtml(step.decision.action)}</td><td class="why">${escapeHtml(step.decision.reason)}</td></tr>`);
  const stepTable = steps.length === 0 ? '' : `<h3 style="margin-top:16px">Finished steps</h3><div class="panel table-wrap"><table><thead><tr><th class="num">Step</th><th class="num">Weight</th><th class="num">Pass / fail / inconclusive / no metrics</th><th>Decision</th><th>Reason</th></tr></thead><tbody>${steps.join('')}</tbody></table></div>`;
  const rows = [...checks].reverse().slice(0, 20).map((check) => `<tr><td>${escapeHtml(clock(check.at))}</td><td><span class="badge verdict-${check.verdict}">${escapeHtml(check.verdict)}${check.hardLimit ? ' (hard limit)' : ''}</span></td><td class="num">${formatNumber(check.numbers.requests)}</td><td class="num">${formatNumber(check.numbers.errorRate)}</td><td class="num">${formatNumber(check.numbers.championErrorRate)}</td><td class="num">${formatNumber(check.numbers.latencyP99Ms)}</td><td class="why">${escapeHtml(check.reasons.join('; '))}</td></tr>`);
  const checkTable = `<h3 style="margin-top:16px">Checks of step ${status.analysis.stepIndex + 1} (${checks.length}, newest first)</h3><div class="panel table-wrap"><table><thead><tr><th>Time (UTC)</th><th>Verdict</th><th class="num">Requests</th><th class="num">Error rate</th><th class="num">Champion</th><th class="num">p99 ms</th><th>Reasons</th></tr></thead><tbody>${rows.join('') || '<tr><td colspan="7" class="muted">No check yet.</td></tr>'}</tbody></table></div>`;
  const events = status.events.length === 0 ? '' : `<h3 style="margin-top:16px">Decisions</h3><ul class="panel events">${status.events.map((event) => `<li><span class="muted">${escapeHtml(clock(Date.parse(event.at)))}</span> ${escapeHtml(event.message)}</li>`).join('')}</ul>`;
  return `<section>${heading}${banner}${meta}${charts}${checkTable}${stepTable}${events}</section>`;
}

/** One metric per check: canary line with a dot per check (red when the check failed), champion dashed, SLA bound. */
function chart(title: string, checks: RecordedCheck[], canaryValue: (check: RecordedCheck) => number | null, championValue: (check: RecordedCheck) => number | null, bound: number | undefined): string {
  const width = 520;
  const height = 190;
  const left = 52;
  const right = 10;
  const top = 10;
  const bottom = 24;
  const values = checks.flatMap((check) => [canaryValue(check), championValue(check)]).filter((value): value is number => value !== null && Number.isFinite(value));
  const high = Math.max(...values, bound ?? 0, 1e-9) * 1.1;
  const times = checks.map((check) => check.at);
  const first = Math.min(...times);
  const last = Math.max(...times);
  const x = (at: number) => left + (checks.length <= 1 || last === first ? (width - left - right) / 2 : ((at - first) * (width - left - right)) / (last - first));
  const y = (value: number) => top + (height - top - bottom) * (1 - value / high);
  const path = (of: (check: RecordedCheck) => number | null) =>
    svgLinePath(checks.map((check) => {
      const value = of(check);
      return [x(check.at), value === null || !Number.isFinite(value) ? null : y(value)];
    }));
  const dots = checks.map((check) => {
    const value = canaryValue(check);
    if (value === null || !Number.isFinite(value)) return '';
    return `<circle class="canary-dot${check.verdict === 'fail' ? ' fail' : ''}" cx="${x(check.at).toFixed(1)}" cy="${y(value).toFixed(1)}" r="3.5"><title>${escapeHtml(`${clock(check.at)}: ${formatNumber(value)} (${check.verdict})`)}</title></circle>`;
  }).join('');
  const sla = bound === undefined ? '' : `<line class="sla" x1="${left}" x2="${width - right}" y1="${y(bound).toFixed(1)}" y2="${y(bound).toFixed(1)}"/>`;
  const ticks = [0, high / 2, high].map((value) => `<text class="tick" x="${left - 4}" y="${(y(value) + 4).toFixed(1)}" text-anchor="end">${formatNumber(value)}</text>`).join('');
  const timeTicks = checks.length === 0 ? '' : `<text class="tick" x="${left}" y="${height - 6}">${escapeHtml(clock(first))}</text>${checks.length > 1 ? `<text class="tick" x="${width - right}" y="${height - 6}" text-anchor="end">${escapeHtml(clock(last))}</text>` : ''}`;
  return `<div class="panel chart-card"><h3>${escapeHtml(title)}</h3>
<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(`${title}: ${checks.length} checks`)}">
<line class="axis" x1="${left}" x2="${left}" y1="${top}" y2="${height - bottom}"/><line class="axis" x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}"/>${ticks}${sla}
<path class="champion" d="${path(championValue)}"/><path class="canary" d="${path(canaryValue)}"/>${dots}${timeTicks}
</svg></div>`;
}

function renderRecentCanaries(canaries: CanarySummary[], options: ModelPageOptions): string {
  if (canaries.length <= 1) return '';
  const rows = canaries.map((canary) => {
    const link = options.webUiLink ? `<a href="${escapeHtml(options.webUiLink(canary.workflowId))}">${escapeHtml(canary.workflowId)}</a>` : escapeHtml(canary.workflowId);
    return `<tr><td>${link}</td><td>${escapeHtml(formatTime(canary.startedAt))}</td><td>${escapeHtml(canaryState(canary))}</td><td class="why">${escapeHtml(canary.outcome?.reason ?? '')}</td></tr>`;
  });
  return `<h2>Recent canaries</h2><div class="panel table-wrap"><table><thead><tr><th>Workflow</th><th>Started</th><th>Outcome</th><th>Reason</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function renderVersions(data: ModelPageData): string {
  const metricNames = [...new Set(data.versions.flatMap((version) => Object.keys(version.metrics)))].filter((name) => ['roc_auc', 'recall', 'precision', 'log_loss'].includes(name));
  const rows = data.versions.map((version) => `<tr><td class="num">v${version.version}</td><td>${escapeHtml(version.status)}</td><td>${escapeHtml(version.aliases.join(', '))}</td>${metricNames.map((name) => `<td class="num">${formatNumber(version.metrics[name])}</td>`).join('')}<td>${escapeHtml(formatTime(version.createdAt))}</td><td class="why">${escapeHtml(version.rejectionReasons.join('; '))}</td></tr>`);
  return `<h2>Versions</h2><div class="panel table-wrap"><table><thead><tr><th class="num">Version</th><th>Status</th><th>Aliases</th>${metricNames.map((name) => `<th class="num">${escapeHtml(name)}</th>`).join('')}<th>Registered</th><th>Why rejected</th></tr></thead><tbody>${rows.join('') || '<tr><td colspan="6" class="muted">No version registered.</td></tr>'}</tbody></table></div>`;
}

function clock(epochMs: number): string {
  return Number.isFinite(epochMs) ? new Date(epochMs).toISOString().slice(11, 19) : '';
}

/** The experiment's KPI report: each KPI's difference with its anytime-valid interval (read any time). */
function experimentReport(experiment: ExperimentState): string {
  const state = experiment.finished ? 'ended, waiting for a decision' : `running until ${formatTime(experiment.endsAt)}`;
  const rows = experiment.report.map((comparison) => `<li>${escapeHtml(describeKpiComparison(comparison))}</li>`).join('');
  return `<h3 style="margin-top:16px">Experiment: ${experiment.percent}% on the new version, ${escapeHtml(state)}, ${experiment.checks} checks</h3><ul class="panel events">${rows || '<li class="muted">No KPI reports yet.</li>'}</ul>`;
}
