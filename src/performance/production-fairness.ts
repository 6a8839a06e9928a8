/**
 * The training fairness gate, applied to production windows: the same metrics (Fairlearn's,
 * src/evaluate/fairness.ts), the same bounds (`evaluate.gates.fairness`) and the same bound check
 * (src/evaluate/fairness-gates.ts), over the sensitive attribute as logged with each prediction.
 * Two things differ, because a production window is not a hold-out:
 * - demographic parity needs no label, so it is measured on every prediction of the window as
 *   soon as it has them; equalized odds needs labels, so it waits for the window to be complete
 *   and is measured on the labelled rows;
 * - a group with fewer than `minGroupRows` rows (labelled rows, for equalized odds) is left out
 *   and named, since the selection rate of 4 people is noise; fewer than two groups left, or a
 *   metric undefined in the window (no group selected anyone), is "incomplete", not "breached".
 */
import type { GateResult } from '../evaluate/gate-result.js';
import { evaluateFairnessGate } from '../evaluate/fairness-gates.js';
import { FAIRNESS_METRIC_NAMES, fairnessMetrics, type FairnessMetricName, type FairnessReport, type GroupRates } from '../evaluate/fairness.js';
import { MISSING_CODE, MISSING_GROUP_NAME, sensitiveGroupsFromNumbers, type SensitiveGroups } from '../evaluate/sensitive-groups.js';
import type { FairnessGate } from '../spec/schema.js';

export type FairnessVerdict = 'ok' | 'breached' | 'incomplete';

export interface FairnessCheck extends Omit<GateResult, 'passed'> {
  metric: FairnessMetricName;
  verdict: FairnessVerdict;
}

export interface ProductionFairness {
  attribute: string;
  verdict: FairnessVerdict;
  checks: FairnessCheck[];
  /** Groups measured for demographic parity (all predictions) and equalized odds (labelled rows); empty when not measured. */
  selectionGroups: Array<Pick<GroupRates, 'name' | 'code' | 'count' | 'selectionRate'>>;
  oddsGroups: GroupRates[];
  /** Groups left out for having fewer rows than minGroupRows. */
  excludedGroups: Array<{ name: string; rows: number; from: 'predictions' | 'labelled rows' }>;
}

export interface ProductionFairnessInput {
  scores: ArrayLike<number>;
  /** Aligned with scores; null while a label has not arrived. */
  labels: ArrayLike<0 | 1 | null>;
  groups: SensitiveGroups;
  threshold: number;
  /** The window's labels are complete (label-join.ts): equalized odds is judged only then. */
  labelsComplete: boolean;
  gate: FairnessGate;
  minGroupRows: number;
}

export function judgeProductionFairness(input: ProductionFairnessInput): ProductionFairness {
  const { scores, labels, groups, threshold, labelsComplete, gate, minGroupRows } = input;
  const attribute = gate.attribute;
  const excludedGroups: ProductionFairness['excludedGroups'] = [];

  const everyRow = Array.from({ length: scores.length }, (_, row) => row);
  const selection = measure(everyRow, 'predictions');
  const labelledRows = everyRow.filter((row) => labels[row] === 0 || labels[row] === 1);
  const odds = labelsComplete ? measure(labelledRows, 'labelled rows') : { report: undefined, why: 'labels are incomplete in this window' };

  const selectionResults = evaluateFairnessGate(gate, selection.report);
  const oddsResults = evaluateFairnessGate(gate, odds.report);
  const checks: FairnessCheck[] = [];
  for (const metric of FAIRNESS_METRIC_NAMES) {
    if (gate[metric] === undefined) continue;
    const usesLabels = metric === 'equalized_odds_difference';
    const source = usesLabels ? odds : selection;
    const result = (usesLabels ? oddsResults : selectionResults).find((r) => r.gate === `fairness:${metric}`)!;
    checks.push(toCheck(metric, result, source.report === undefined ? source.why : undefined));
  }
  const verdicts = new Set(checks.map((check) => check.verdict));
  return {
    attribute,
    verdict: verdicts.has('breached') ? 'breached' : verdicts.has('incomplete') ? 'incomplete' : 'ok',
    checks,
    selectionGroups: (selection.report?.groups ?? []).map(({ name, code, count, selectionRate }) => ({ name, code, count, selectionRate })),
    oddsGroups: odds.report?.groups ?? [],
    excludedGroups,
  };

  /** Fairness over `rows`, leaving out groups below minGroupRows; no report when fewer than two groups remain. */
  function measure(rows: readonly number[], from: 'predictions' | 'labelled rows'): { report: FairnessReport | undefined; why: string } {
    const rowsPerCode = new Map<number, number>();
    for (const row of rows) rowsPerCode.set(groups.codes[row]!, (rowsPerCode.get(groups.codes[row]!) ?? 0) + 1);
    for (const [code, count] of rowsPerCode) {
      if (count < minGroupRows) excludedGroups.push({ name: code === MISSING_CODE ? MISSING_GROUP_NAME : groups.names[code]!, rows: count, from });
    }
    const kept = rows.filter((row) => rowsPerCode.get(groups.codes[row]!)! >= minGroupRows);
    const keptGroups = new Set(kept.map((row) => groups.codes[row]!)).size;
    if (keptGroups < 2) return { report: undefined, why: `fewer than two groups of '${attribute}' have ${minGroupRows} ${from}` };
    // Selection rates need no label: rows still unlabelled count as 0, and only the selection side of the report is read.
    const report = fairnessMetrics(
      kept.map((row) => labels[row] ?? 0),
      kept.map((row) => scores[row]!),
      { codes: kept.map((row) => groups.codes[row]!), names: groups.names, attribute },
      threshold,
    );
    return { report, why: '' };
  }
}

/** Turns a gate result into a production check; `notMeasuredBecause` says why the metric could not be measured in this window. */
function toCheck(metric: FairnessMetricName, result: GateResult, notMeasuredBecause: string | undefined): FairnessCheck {
  const { passed, ...rest } = result;
  if (notMeasuredBecause !== undefined) return { ...rest, metric, value: null, verdict: 'incomplete', detail: `${metric} not judged: ${notMeasuredBecause}` };
  if (result.value === null) return { ...rest, metric, verdict: 'incomplete', detail: result.detail };
  return { ...rest, metric, verdict: passed ? 'ok' : 'breached' };
}

/**
 * Groups from the values logged for the sensitive attribute (prediction-log features): numbers
 * are grouped and named as the training evaluation names them (sorted, as text); any other value
 * by its text, sorted; null, undefined and NaN are the missing group.
 */
export function sensitiveGroupsFromLoggedValues(values: ReadonlyArray<number | string | boolean | null | undefined>, attribute: string): SensitiveGroups {
  const present = values.filter((value) => value !== null && value !== undefined && !(typeof value === 'number' && Number.isNaN(value)));
  if (present.every((value) => typeof value === 'number')) {
    return sensitiveGroupsFromNumbers(
      values.map((value) => (typeof value === 'number' ? value : Number.NaN)),
      attribute,
    );
  }
  const names = [...new Set(present.map(String))].sort();
  const codeOf = new Map(names.map((name, code) => [name, code]));
  const codes = values.map((value) => (value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value)) ? MISSING_CODE : codeOf.get(String(value))!));
  return { codes, names, attribute };
}
