import type { ConfusionCounts } from '../evaluate/confusion.js';
import { checkThreshold } from '../evaluate/evaluation-input.js';
import { classificationMetrics } from '../evaluate/metrics.js';
import type { RealisedMetricName } from './performance-metric-names.js';

/**
 * What a window's predictions achieved once their labels arrived, at the operating threshold.
 * The labelled metrics are scikit-learn's (src/evaluate/metrics.ts) over the labelled rows, with
 * one deliberate difference: where scikit-learn answers 0 for a 0/0 (recall without positives,
 * precision without predicted positives, F1 with neither), or NaN (ROC AUC on one class), this
 * says null, "not measurable in this window", so an empty denominator is never read as a drop.
 */
export type RealisedMetrics = Record<RealisedMetricName, number | null> & {
  /** Scored predictions in the window, labelled or not. */
  count: number;
  labelled: number;
  /** labelled / count. */
  labelCoverage: number;
  /** Share of all the window's predictions at or above the threshold (needs no label). */
  positiveRate: number;
  /** Of the labelled rows; null when none is labelled. */
  confusion: ConfusionCounts | null;
};

/** `labels[i]` is the label of `scores[i]`, null while it has not arrived. */
export function realisedMetrics(scores: ArrayLike<number>, labels: ArrayLike<0 | 1 | null>, threshold: number): RealisedMetrics {
  checkThreshold(threshold);
  if (scores.length !== labels.length) throw new RangeError(`${scores.length} scores for ${labels.length} labels`);
  const count = scores.length;
  let predictedPositive = 0;
  const labelledScores: number[] = [];
  const labelledLabels: number[] = [];
  for (let row = 0; row < count; row++) {
    if (scores[row]! >= threshold) predictedPositive++;
    const label = labels[row];
    if (label === 0 || label === 1) {
      labelledScores.push(scores[row]!);
      labelledLabels.push(label);
    }
  }
  const labelled = labelledLabels.length;
  const base = { count, labelled, labelCoverage: count === 0 ? 0 : labelled / count, positiveRate: count === 0 ? 0 : predictedPositive / count };
  if (labelled === 0) {
    return { ...base, recall: null, precision: null, f1: null, roc_auc: null, log_loss: null, accuracy: null, confusion: null };
  }
  const metrics = classificationMetrics(labelledLabels, labelledScores, threshold);
  const { tp, fp, fn, tn } = metrics.confusion;
  return {
    ...base,
    recall: tp + fn === 0 ? null : metrics.recall,
    precision: tp + fp === 0 ? null : metrics.precision,
    f1: tp + fp + fn === 0 ? null : metrics.f1,
    roc_auc: tp + fn === 0 || fp + tn === 0 ? null : metrics.roc_auc,
    log_loss: metrics.log_loss,
    accuracy: metrics.accuracy,
    confusion: metrics.confusion,
  };
}
