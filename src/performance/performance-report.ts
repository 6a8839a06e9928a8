/**
 * The performance report of one check: every window of the lookback, per version, with its
 * realised metrics, CBPE estimate, verdict, concept-drift and fairness findings (the JSON), a
 * self-contained page (performance-report-html.ts) beside it, and the short summary the workflow
 * acts on. Findings carry a dedup key per model, version, window and kind, so a window that is
 * checked again as late labels arrive raises its alert once.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CalibrationCheck } from './calibration-check.js';
import type { EstimatedValue } from './cbpe.js';
import type { LabelJoinResult } from './label-join.js';
import type { RealisedMetricName } from './performance-metric-names.js';
import { renderPerformanceReportHtml } from './performance-report-html.js';
import type { WindowAssessment } from './window-assessment.js';

export const PERFORMANCE_REPORT_JSON = 'report.json';
export const PERFORMANCE_REPORT_HTML = 'report.html';

export type PerformanceFindingKind = 'performance' | 'fairness' | 'concept-drift';

export interface PerformanceFinding {
  kind: PerformanceFindingKind;
  version: number;
  /** `performance/<model>/v<version>/<window start ISO>`: the same for every re-evaluation of the window. */
  dedupKey: string;
  summary: string;
}

export interface VersionReferenceSummary {
  version: number;
  baseline: Partial<Record<RealisedMetricName, number | null>>;
  /** The CBPE model's reference, when there is one. */
  cbpe: { referenceRows: number; calibration: CalibrationCheck } | null;
  cbpeUnavailable?: string;
}

export interface PerformanceReport {
  model: string;
  generatedAt: string;
  /** The instant of the check: labels that arrived later are not counted yet. */
  asOf: string;
  window: string;
  lookback: string;
  threshold: number;
  range: { from: string; to: string };
  fairnessAttribute: string | null;
  versions: VersionReferenceSummary[];
  windows: Array<WindowAssessment & { start: string; end: string; findings: PerformanceFinding[] }>;
  ignored: LabelJoinResult<never>['ignored'];
}

/** What the workflow needs of one window. */
export interface PerformanceWindowSummary {
  version: number;
  start: string;
  end: string;
  complete: boolean;
  incompleteBecause?: string;
  labelCoverage: number;
  verdict: WindowAssessment['performance']['verdict'];
  degradedMetrics: RealisedMetricName[];
  conceptDrift: boolean;
  fairnessBreached: boolean;
  findings: PerformanceFinding[];
  /** The bounded metrics: training baseline, realised value (null until labels allow) and the CBPE estimate with its band. */
  metrics: Array<{ metric: RealisedMetricName; baseline: number | null; realised: number | null; estimated: { value: number; lower: number | null; upper: number | null } | null }>;
}

/** The findings of a window: degraded performance, breached fairness, concept drift, each once. */
export function windowFindings(model: string, assessment: WindowAssessment): PerformanceFinding[] {
  const start = new Date(assessment.startMs).toISOString();
  const where = `${model} v${assessment.version}, window from ${start}`;
  const key = (kind: PerformanceFindingKind) => `${kind}/${model}/v${assessment.version}/${start}`;
  const findings: PerformanceFinding[] = [];
  const degraded = assessment.performance.metrics.filter((metric) => metric.verdict === 'degraded');
  if (degraded.length > 0) {
    findings.push({ kind: 'performance', version: assessment.version, dedupKey: key('performance'), summary: `${where}: ${degraded.map((metric) => metric.detail).join('; ')}` });
  }
  const breached = assessment.fairness?.checks.filter((check) => check.verdict === 'breached') ?? [];
  if (breached.length > 0) {
    findings.push({ kind: 'fairness', version: assessment.version, dedupKey: key('fairness'), summary: `${where}: production fairness over '${assessment.fairness!.attribute}': ${breached.map((check) => check.detail).join('; ')}` });
  }
  const drifted = assessment.conceptDrift?.checks.filter((check) => check.finding === 'concept_drift') ?? [];
  if (drifted.length > 0) {
    findings.push({ kind: 'concept-drift', version: assessment.version, dedupKey: key('concept-drift'), summary: `${where}: concept drift, ${drifted.map((check) => check.detail).join('; ')}` });
  }
  return findings;
}

export function summariseWindow(window: PerformanceReport['windows'][number]): PerformanceWindowSummary {
  return {
    version: window.version,
    start: window.start,
    end: window.end,
    complete: window.complete,
    ...(window.incompleteBecause !== undefined && { incompleteBecause: window.incompleteBecause }),
    labelCoverage: window.labelCoverage,
    verdict: window.performance.verdict,
    degradedMetrics: window.performance.metrics.filter((metric) => metric.verdict === 'degraded').map((metric) => metric.metric),
    conceptDrift: window.conceptDrift?.detected ?? false,
    fairnessBreached: window.fairness?.verdict === 'breached',
    findings: window.findings,
    metrics: window.performance.metrics.map((metric) => {
      const estimate = (window.estimated?.metrics as Partial<Record<RealisedMetricName, EstimatedValue>> | undefined)?.[metric.metric];
      return {
        metric: metric.metric,
        baseline: metric.baseline,
        realised: metric.value,
        estimated: estimate && estimate.value !== null ? { value: estimate.value, lower: estimate.lower, upper: estimate.upper } : null,
      };
    }),
  };
}

/** report.json and report.html in `dir`, each written whole then renamed into place. */
export async function writePerformanceReport(report: PerformanceReport, dir: string): Promise<{ jsonPath: string; htmlPath: string }> {
  await mkdir(dir, { recursive: true });
  const jsonPath = path.join(dir, PERFORMANCE_REPORT_JSON);
  const htmlPath = path.join(dir, PERFORMANCE_REPORT_HTML);
  await writeFileAtomically(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  await writeFileAtomically(htmlPath, renderPerformanceReportHtml(report, { jsonHref: PERFORMANCE_REPORT_JSON }));
  return { jsonPath, htmlPath };
}

async function writeFileAtomically(target: string, text: string): Promise<void> {
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, text);
    await rename(temporary, target);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}
