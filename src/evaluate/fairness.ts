import { checkLabelsAndScores, checkThreshold, InvalidEvaluationInput } from './evaluation-input.js';
import { MISSING_CODE, MISSING_GROUP_NAME, type SensitiveGroups } from './sensitive-groups.js';

export const FAIRNESS_METRIC_NAMES = ['demographic_parity_difference', 'demographic_parity_ratio', 'equalized_odds_difference'] as const;
export type FairnessMetricName = (typeof FAIRNESS_METRIC_NAMES)[number];

/** How the classifier treats one group of the sensitive attribute. */
export interface GroupRates {
  name: string;
  /** Dictionary code; -1 for the missing-value group. */
  code: number;
  count: number;
  /** Rows with label 1 and label 0: a zero explains a TPR or FPR of 0 (see below). */
  positives: number;
  negatives: number;
  /** Share predicted positive. */
  selectionRate: number;
  /** Share of positives predicted positive; 0 when the group has no positives (Fairlearn's convention). */
  tpr: number;
  /** Share of negatives predicted positive; 0 when the group has no negatives (Fairlearn's convention). */
  fpr: number;
}

export type FairnessReport = Record<FairnessMetricName, number> & {
  /** The sensitive attribute, when the caller named it. */
  attribute?: string;
  threshold: number;
  /** Groups with at least one row, in code order, the missing-value group last. */
  groups: GroupRates[];
};

/**
 * Fairlearn's disparity metrics with method='between_groups', over groups with at least one row:
 * - demographic_parity_difference = max - min selection rate;
 * - demographic_parity_ratio = min / max selection rate (NaN when no group selects anyone, as 0/0);
 * - equalized_odds_difference = the larger of the TPR gap and the FPR gap (agg='worst_case').
 * Rows whose code is -1 form the group "(missing)". A group without positives has TPR 0 and one
 * without negatives FPR 0, because Fairlearn reads rates off sklearn's normalised confusion
 * matrix, which turns 0/0 into 0; such a group can widen the equalized-odds gap on its own.
 */
export function fairnessMetrics(labels: ArrayLike<number>, scores: ArrayLike<number>, groups: SensitiveGroups, threshold: number): FairnessReport {
  checkLabelsAndScores(labels, scores);
  checkThreshold(threshold);
  const rates = ratesPerGroup(labels, scores, groups, threshold);
  const [lowestSelection, highestSelection] = range(rates.map((group) => group.selectionRate));
  const [lowestTpr, highestTpr] = range(rates.map((group) => group.tpr));
  const [lowestFpr, highestFpr] = range(rates.map((group) => group.fpr));
  return {
    ...(groups.attribute !== undefined && { attribute: groups.attribute }),
    threshold,
    groups: rates,
    demographic_parity_difference: highestSelection - lowestSelection,
    demographic_parity_ratio: lowestSelection / highestSelection,
    equalized_odds_difference: Math.max(highestTpr - lowestTpr, highestFpr - lowestFpr),
  };
}

function ratesPerGroup(labels: ArrayLike<number>, scores: ArrayLike<number>, groups: SensitiveGroups, threshold: number): GroupRates[] {
  const { codes, names } = groups;
  const what = `sensitive attribute${groups.attribute === undefined ? '' : ` '${groups.attribute}'`}`;
  if (codes.length !== labels.length) {
    throw new InvalidEvaluationInput(`${what} has ${codes.length} values for ${labels.length} rows`);
  }
  // Slot 0 holds the missing-value group, slot code + 1 the others.
  const slots = names.length + 1;
  const count = new Float64Array(slots);
  const positives = new Float64Array(slots);
  const truePositives = new Float64Array(slots);
  const falsePositives = new Float64Array(slots);
  for (let row = 0; row < labels.length; row++) {
    const code = codes[row]!;
    if (!Number.isInteger(code) || code < MISSING_CODE || code >= names.length) {
      throw new InvalidEvaluationInput(`${what} has code ${code} at row ${row}; expected -1 (missing) to ${names.length - 1}`);
    }
    const slot = code + 1;
    const selected = scores[row]! >= threshold;
    count[slot]!++;
    if (labels[row] === 1) {
      positives[slot]!++;
      if (selected) truePositives[slot]!++;
    } else if (selected) {
      falsePositives[slot]!++;
    }
  }
  const rates: GroupRates[] = [];
  for (const code of [...names.keys(), MISSING_CODE]) {
    const slot = code + 1;
    const rows = count[slot]!;
    if (rows === 0) continue;
    const groupPositives = positives[slot]!;
    const groupNegatives = rows - groupPositives;
    rates.push({
      name: code === MISSING_CODE ? MISSING_GROUP_NAME : names[code]!,
      code,
      count: rows,
      positives: groupPositives,
      negatives: groupNegatives,
      selectionRate: (truePositives[slot]! + falsePositives[slot]!) / rows,
      tpr: groupPositives === 0 ? 0 : truePositives[slot]! / groupPositives,
      fpr: groupNegatives === 0 ? 0 : falsePositives[slot]! / groupNegatives,
    });
  }
  return rates;
}

function range(values: readonly number[]): [min: number, max: number] {
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return [min, max];
}
