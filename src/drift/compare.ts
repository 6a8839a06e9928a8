/**
 * The drift engine: a window's profile against the reference profile, column by column, with
 * Evidently's default tests, thresholds and dataset rule, and what Evidently lacks: a broken
 * column is an error for that column only, and missing-value shifts and unseen categories are
 * findings of their own.
 */
import { countsOf } from './categorical-column-profile.js';
import { ColumnTestError, columnDrift, defaultTest } from './column-drift.js';
import { DriftOptions, DEFAULT_THRESHOLDS, type ResolvedDriftOptions } from './drift-options.js';
import type { ColumnDrift, DistributionSummary, DriftFinding, DriftReport } from './drift-report.js';
import type { CategoricalColumnProfile, ColumnProfile, DriftProfile } from './profile.js';

export interface DriftReportContext {
  model: string;
  /** The champion version whose reference profile this is. */
  version: number;
  window: { from: string; to: string };
  /** Default: now. */
  generatedAt?: string;
}

export type CompareProfilesOptions = DriftReportContext & DriftOptions;

export function compareProfiles(reference: DriftProfile, current: DriftProfile, options: CompareProfilesOptions): DriftReport {
  const { model, version, window, generatedAt, ...driftOptions } = options;
  const resolved = DriftOptions.parse(driftOptions);
  const columns: ColumnDrift[] = [];
  const findings: DriftFinding[] = [];
  for (const referenceColumn of reference.features) {
    const currentColumn = current.features.find((column) => column.name === referenceColumn.name);
    const drift = compareColumn(referenceColumn, currentColumn, resolved);
    columns.push(drift);
    if (drift.error) findings.push({ kind: 'column-error', column: drift.column, detail: drift.error, severity: 'critical' });
    if (currentColumn && currentColumn.kind === referenceColumn.kind) findings.push(...columnFindings(referenceColumn, currentColumn, resolved));
  }
  const evaluated = columns.filter((column) => column.drifted !== null).length;
  const drifted = columns.filter((column) => column.drifted === true).length;
  const share = evaluated > 0 ? drifted / evaluated : 0;
  return {
    model,
    version,
    window,
    referenceRows: reference.rows,
    currentRows: current.rows,
    generatedAt: generatedAt ?? new Date().toISOString(),
    columns,
    evaluated,
    drifted,
    share,
    datasetThreshold: resolved.datasetThreshold,
    datasetDrift: evaluated > 0 && share >= resolved.datasetThreshold,
    findings,
  };
}

function compareColumn(reference: ColumnProfile, current: ColumnProfile | undefined, options: ResolvedDriftOptions): ColumnDrift {
  const problem = !current
    ? 'not in the current window (no such feature was logged)'
    : current.kind !== reference.kind
      ? current.count === 0
        ? 'no values in the current window after dropping missing values (null, NaN, ±inf)'
        : `${reference.kind} in the reference but ${current.kind} in the current window`
      : undefined;
  if (!problem) {
    try {
      return columnDrift(reference, current!, options);
    } catch (error) {
      if (!(error instanceof ColumnTestError)) throw error;
      return errorColumn(reference, options, error.message);
    }
  }
  return errorColumn(reference, options, problem);
}

function errorColumn(reference: ColumnProfile, options: ResolvedDriftOptions, error: string): ColumnDrift {
  const test = options.columns?.[reference.name]?.method ?? options.kinds?.[reference.kind]?.method
    ?? (options.method && options.method !== 'auto' ? options.method : defaultTest(reference.kind, reference.count, Number.POSITIVE_INFINITY));
  const summary = (column: ColumnProfile): DistributionSummary => ({
    count: column.count,
    nullShare: column.rows > 0 ? column.missing / column.rows : 0,
    histogram: { shares: [] },
  });
  return {
    column: reference.name,
    kind: reference.kind,
    test,
    statistic: null,
    pValue: null,
    threshold: options.columns?.[reference.name]?.threshold ?? options.kinds?.[reference.kind]?.threshold ?? options.threshold ?? DEFAULT_THRESHOLDS[test],
    drifted: null,
    error,
    reference: summary(reference),
    current: { count: 0, nullShare: 0, histogram: { shares: [] } },
  };
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

/** Missing-value share shifts (any column) and categories the reference never had. */
export function columnFindings(reference: ColumnProfile, current: ColumnProfile, options: ResolvedDriftOptions): DriftFinding[] {
  const findings: DriftFinding[] = [];
  if (reference.rows > 0 && current.rows > 0) {
    const before = reference.missing / reference.rows;
    const after = current.missing / current.rows;
    const shift = Math.abs(after - before);
    if (shift >= options.missingShareShift.warning && shift > 0) {
      findings.push({
        kind: 'missing-share-shift',
        column: reference.name,
        detail: `missing values (null, NaN, ±inf) ${percent(before)} of reference rows → ${percent(after)} of current rows`,
        severity: shift >= options.missingShareShift.critical ? 'critical' : 'warning',
      });
    }
  }
  if (reference.kind === 'categorical' && current.kind === 'categorical') {
    const finding = newCategoryFinding(reference, current, options);
    if (finding) findings.push(finding);
  }
  return findings;
}

function newCategoryFinding(reference: CategoricalColumnProfile, current: CategoricalColumnProfile, options: ResolvedDriftOptions): DriftFinding | undefined {
  // With a truncated reference, a category missing from its list may be among the pooled rare ones.
  if (reference.truncated || current.count === 0) return undefined;
  const known = countsOf(reference);
  const unseen = [...countsOf(current)].filter(([category]) => !known.has(category));
  if (unseen.length === 0) return undefined;
  const rows = unseen.reduce((sum, [, count]) => sum + count, 0);
  const share = rows / current.count;
  const names = unseen.slice(0, 5).map(([category]) => JSON.stringify(category)).join(', ');
  const more = unseen.length > 5 ? ` and ${unseen.length - 5} more` : '';
  return {
    kind: 'new-category',
    column: reference.name,
    detail: `${unseen.length} ${unseen.length === 1 ? 'category' : 'categories'} not in the reference: ${names}${more} (${percent(share)} of current rows)`,
    severity: share >= options.newCategoryCriticalShare ? 'critical' : 'warning',
  };
}
