import type { FairnessGate } from '../spec/schema.js';
import { checkBound } from './bound-check.js';
import { FAIRNESS_METRIC_NAMES, type FairnessMetricName, type FairnessReport, type GroupRates } from './fairness.js';
import type { GateResult } from './gate-result.js';
import { formatNumber } from './format-number.js';

const UNDEFINED_BECAUSE: Partial<Record<FairnessMetricName, string>> = {
  demographic_parity_ratio: 'no group has a positive prediction, so the ratio is 0/0',
};

/** One result per bound set in the fairness gate, named `fairness:<metric>`. */
export function evaluateFairnessGate(gate: FairnessGate, report: FairnessReport | undefined): GateResult[] {
  const results: GateResult[] = [];
  for (const metric of FAIRNESS_METRIC_NAMES) {
    const bound = gate[metric];
    if (bound === undefined) continue;
    const name = `fairness:${metric}`;
    const missing = whyReportIsUnusable(gate.attribute, report);
    if (missing !== undefined || report === undefined) {
      results.push({ gate: name, value: null, ...bound, passed: false, detail: `${metric} was not measured: ${missing}` });
      continue;
    }
    results.push(
      checkBound({
        gate: name,
        measure: metric,
        value: report[metric],
        bound,
        ...(UNDEFINED_BECAUSE[metric] !== undefined && { undefinedBecause: UNDEFINED_BECAUSE[metric] }),
        context: `${gate.attribute}: ${metric === 'equalized_odds_difference' ? describeOddsGap(report.groups) : describeSelectionSpread(report.groups)}`,
      }),
    );
  }
  return results;
}

function whyReportIsUnusable(attribute: string, report: FairnessReport | undefined): string | undefined {
  if (report === undefined) return `no fairness report for attribute '${attribute}' (is the column in the hold-out?)`;
  if (report.attribute !== undefined && report.attribute !== attribute) return `the fairness report is for '${report.attribute}', the gate asks for '${attribute}'`;
  return undefined;
}

function describeSelectionSpread(groups: readonly GroupRates[]): string {
  const { lowest, highest } = extremes(groups, (group) => group.selectionRate);
  if (lowest === highest) return `one group, ${lowest.name}, selection rate ${formatNumber(lowest.selectionRate)}`;
  return `selection rate ${formatNumber(highest.selectionRate)} for ${highest.name}, ${formatNumber(lowest.selectionRate)} for ${lowest.name}`;
}

/** Names the wider of the two gaps, and the 0/0 convention when it decides the gap. */
function describeOddsGap(groups: readonly GroupRates[]): string {
  const tpr = extremes(groups, (group) => group.tpr);
  const fpr = extremes(groups, (group) => group.fpr);
  const tprGap = tpr.highest.tpr - tpr.lowest.tpr;
  const fprGap = fpr.highest.fpr - fpr.lowest.fpr;
  if (tprGap === 0 && fprGap === 0) return 'equal TPR and FPR in every group';
  if (tprGap >= fprGap) {
    const note = tpr.lowest.positives === 0 ? `; ${tpr.lowest.name} has no positives, so its TPR counts as 0` : '';
    return `TPR ${formatNumber(tpr.highest.tpr)} for ${tpr.highest.name}, ${formatNumber(tpr.lowest.tpr)} for ${tpr.lowest.name}${note}`;
  }
  const note = fpr.lowest.negatives === 0 ? `; ${fpr.lowest.name} has no negatives, so its FPR counts as 0` : '';
  return `FPR ${formatNumber(fpr.highest.fpr)} for ${fpr.highest.name}, ${formatNumber(fpr.lowest.fpr)} for ${fpr.lowest.name}${note}`;
}

function extremes(groups: readonly GroupRates[], rate: (group: GroupRates) => number): { lowest: GroupRates; highest: GroupRates } {
  let lowest = groups[0]!;
  let highest = groups[0]!;
  for (const group of groups) {
    if (rate(group) < rate(lowest)) lowest = group;
    if (rate(group) > rate(highest)) highest = group;
  }
  return { lowest, highest };
}
