/**
 * Confidence-based performance estimation (NannyML's CBPE, binary classification): with calibrated
 * probabilities, a row predicted positive is a true positive with probability p and a false
 * positive with 1 - p, a row predicted negative a false negative with p and a true negative with
 * 1 - p; summing gives the expected confusion matrix of a window without a single label, and from
 * it the expected recall, precision, F1 and accuracy. ROC AUC has its own estimate
 * (cbpe-roc-auc.ts). Fitted on the reference (the training hold-out, with labels), as
 * `CBPE.fit`: the calibration check, the calibrator, and the sampling-error components.
 * Matches NannyML 0.13 (see test/unit/performance/cbpe-parity.test.ts for what and how closely).
 */
import { checkLabelsAndScores, checkThreshold, InvalidEvaluationInput } from '../evaluate/evaluation-input.js';
import { checkCalibration, type CalibrationCheck } from './calibration-check.js';
import { estimateRocAuc } from './cbpe-roc-auc.js';
import { countSamplingError, SAMPLING_ERROR_RANGE, samplingError, samplingErrorComponents, type SamplingErrorComponents } from './cbpe-sampling-error.js';
import { calibrateScores, fitIsotonicCalibrator, type IsotonicCalibrator } from './isotonic-calibrator.js';
import type { EstimatedMetricName } from './performance-metric-names.js';

/** A fitted estimator: plain data, so it can be an activity's result and be reused window after window. */
export interface CbpeModel {
  threshold: number;
  referenceRows: number;
  calibration: CalibrationCheck;
  /** Fitted on the whole reference when the check asks for calibration; null otherwise. */
  calibrator: IsotonicCalibrator | null;
  samplingErrorComponents: SamplingErrorComponents;
}

/** An estimate with NannyML's confidence band: value +- 3 sampling errors, clipped to the metric's range. null: undefined. */
export interface EstimatedValue {
  value: number | null;
  samplingError: number | null;
  lower: number | null;
  upper: number | null;
}

export interface CbpeEstimate {
  rows: number;
  /** Expected counts (NannyML's unnormalised confusion matrix). */
  expectedConfusion: { tp: EstimatedValue; fp: EstimatedValue; tn: EstimatedValue; fn: EstimatedValue };
  metrics: Record<EstimatedMetricName, EstimatedValue>;
}

/** `CBPE.fit` on the reference's labels and the model's (uncalibrated) scores; prediction = score >= threshold. */
export function fitCbpe(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold: number): CbpeModel {
  checkLabelsAndScores(labels, scores);
  checkThreshold(threshold);
  const calibration = checkCalibration(labels, scores);
  return {
    threshold,
    referenceRows: labels.length,
    calibration,
    calibrator: calibration.needed ? fitIsotonicCalibrator(scores, labels) : null,
    samplingErrorComponents: samplingErrorComponents(labels, scores, threshold),
  };
}

/** `CBPE.estimate` for one window of model scores (no labels needed). */
export function estimatePerformance(model: CbpeModel, scores: ArrayLike<number>): CbpeEstimate {
  const rows = scores.length;
  if (rows === 0) throw new InvalidEvaluationInput('nothing to estimate: the window has no scored predictions');
  const probabilities = model.calibrator ? calibrateScores(model.calibrator, scores) : scores;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let row = 0; row < rows; row++) {
    const p = probabilities[row]!;
    if (scores[row]! >= model.threshold) {
      tp += p;
      fp += 1 - p;
    } else {
      fn += p;
      tn += 1 - p;
    }
  }
  const components = model.samplingErrorComponents;
  const metric = (value: number | null, component: keyof SamplingErrorComponents) => withBand(value, samplingError(components[component], rows), 1);
  const count = (value: number, component: keyof SamplingErrorComponents) => withBand(value, countSamplingError(components[component], rows), Infinity);
  return {
    rows,
    expectedConfusion: { tp: count(tp, 'truePositive'), fp: count(fp, 'falsePositive'), tn: count(tn, 'trueNegative'), fn: count(fn, 'falseNegative') },
    metrics: {
      // NannyML's estimates answer 0 where the expected denominator is 0.
      recall: metric(ratioOrZero(tp, tp + fn), 'recall'),
      precision: metric(ratioOrZero(tp, tp + fp), 'precision'),
      f1: metric(ratioOrZero(tp, tp + 0.5 * (fp + fn)), 'f1'),
      roc_auc: metric(estimateRocAuc(probabilities, scores), 'roc_auc'),
      accuracy: metric((tp + tn) / rows, 'accuracy'),
    },
  };
}

function withBand(value: number | null, error: number | null, upperLimit: number): EstimatedValue {
  if (value === null || error === null) return { value, samplingError: error, lower: null, upper: null };
  return {
    value,
    samplingError: error,
    lower: Math.max(0, value - SAMPLING_ERROR_RANGE * error),
    upper: Math.min(upperLimit, value + SAMPLING_ERROR_RANGE * error),
  };
}

function ratioOrZero(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}
