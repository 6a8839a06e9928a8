import type { MetricName } from '../spec/schema.js';
import { countConfusion, type ConfusionCounts } from './confusion.js';
import { checkLabelsAndScores, checkThreshold } from './evaluation-input.js';
import { logLoss } from './log-loss.js';
import { rocAuc } from './roc-auc.js';

export type ClassificationMetrics = Record<MetricName, number> & { confusion: ConfusionCounts };

/**
 * The gateable metrics of a binary classifier on a hold-out, matching scikit-learn.
 * Prediction = score >= threshold. Precision, recall and f1 follow sklearn's default
 * zero_division ("warn"): a 0/0 ratio (no predicted positives, no actual positives, or neither)
 * is 0. roc_auc is NaN when the labels hold one class; the gates report why.
 * Throws InvalidEvaluationInput for non-0/1 labels, scores outside [0, 1] or an empty hold-out.
 */
export function classificationMetrics(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold: number): ClassificationMetrics {
  checkLabelsAndScores(labels, scores);
  checkThreshold(threshold);
  const confusion = countConfusion(labels, scores, threshold);
  const { tp, fp, tn, fn } = confusion;
  return {
    accuracy: (tp + tn) / labels.length,
    precision: ratioOrZero(tp, tp + fp),
    recall: ratioOrZero(tp, tp + fn),
    f1: ratioOrZero(2 * tp, 2 * tp + fp + fn),
    roc_auc: rocAuc(labels, scores),
    log_loss: logLoss(labels, scores),
    confusion,
  };
}

/** sklearn's zero_division="warn" value. */
function ratioOrZero(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}
