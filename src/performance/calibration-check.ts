import { checkLabelsAndScores, InvalidEvaluationInput } from '../evaluate/evaluation-input.js';
import { rocAuc } from '../evaluate/roc-auc.js';
import { calibrateScores, fitIsotonicCalibrator } from './isotonic-calibrator.js';
import { stratifiedShuffleSplit, type Fold } from './stratified-shuffle-split.js';

/** NannyML's `needs_calibration` defaults: 10 stratified folds of 10%, seed 42, ECE over 10 equal-count bins. */
const FOLDS = 10;
const TEST_SHARE = 0.1;
const SPLIT_SEED = 42;
const BINS = 10;
/** Above this reference ROC AUC NannyML calls the scores separable enough not to calibrate. */
const NO_CALIBRATION_ABOVE_ROC_AUC = 0.999;

export interface CalibrationCheck {
  /** Whether CBPE calibrates the scores with an isotonic regression fitted on the whole reference. */
  needed: boolean;
  /** Expected calibration error of the held-out folds before and after isotonic calibration; null when not measured. */
  eceBefore: number | null;
  eceAfter: number | null;
  /** Why the check was skipped, when it was. */
  skippedBecause?: string;
}

/**
 * NannyML's `needs_calibration` (nannyml/calibration.py): over 10 stratified 90/10 splits of the
 * reference, fit an isotonic calibrator on the 90% and calibrate the 10%; calibration is needed
 * when the ECE of all test folds together is lower after calibration than before. A one-class
 * reference or a reference ROC AUC above 0.999 skips the check (no calibration); so does a class
 * too small to split in strata, where NannyML raises instead.
 * One difference, in the ECE only: NannyML sorts the probabilities with numpy's default unstable
 * quicksort, whose order among tied values varies with the CPU's SIMD sort; calibrated
 * probabilities tie a lot, so this port sorts stably and its ECE after calibration can differ in
 * the bins that cut a run of ties. The decision is the same unless the two ECEs are that close.
 */
export function checkCalibration(labels: ArrayLike<number>, scores: ArrayLike<number>): CalibrationCheck {
  checkLabelsAndScores(labels, scores);
  if (new Set(Array.from(labels)).size <= 1) return { needed: false, eceBefore: null, eceAfter: null, skippedBecause: 'the reference holds one class' };
  if (rocAuc(labels, scores) > NO_CALIBRATION_ABOVE_ROC_AUC) {
    return { needed: false, eceBefore: null, eceAfter: null, skippedBecause: `the reference ROC AUC is above ${NO_CALIBRATION_ABOVE_ROC_AUC}` };
  }
  let folds: Fold[];
  try {
    folds = stratifiedShuffleSplit(labels, { splits: FOLDS, testShare: TEST_SHARE, seed: SPLIT_SEED });
  } catch (error) {
    // NannyML raises here and CBPE cannot be fitted at all; estimating with uncalibrated scores is more useful, and says why.
    if (error instanceof InvalidEvaluationInput) return { needed: false, eceBefore: null, eceAfter: null, skippedBecause: `the reference is too small to check: ${error.message}` };
    throw error;
  }
  const truth: number[] = [];
  const before: number[] = [];
  const after: number[] = [];
  for (const { train, test } of folds) {
    const calibrator = fitIsotonicCalibrator(
      train.map((row) => scores[row]!),
      train.map((row) => labels[row]!),
    );
    const calibrated = calibrateScores(
      calibrator,
      test.map((row) => scores[row]!),
    );
    test.forEach((row, i) => {
      truth.push(labels[row]!);
      before.push(scores[row]!);
      after.push(calibrated[i]!);
    });
  }
  const edges = binEdges(truth.length, BINS);
  const eceBefore = expectedCalibrationError(truth, before, edges);
  const eceAfter = expectedCalibrationError(truth, after, edges);
  return { needed: eceBefore > eceAfter, eceBefore, eceAfter };
}

/** NannyML's `_get_bin_index_edges`: equal-count bins by position, the last one taking the remainder. */
export function binEdges(length: number, binCount: number): Array<[start: number, end: number]> {
  let bins = binCount;
  if (length <= 2 * bins) {
    bins = Math.floor(length / 2);
    if (bins < 2) throw new InvalidEvaluationInput(`cannot split ${length} rows into at least 2 calibration bins`);
  }
  const width = Math.floor(length / bins);
  const edges: number[] = [];
  for (let edge = 0; edge <= length; edge += width) edges.push(edge);
  edges[edges.length - 1] = length;
  return edges.slice(1).map((end, i) => [edges[i]!, end]);
}

/** NannyML's `_calculate_expected_calibration_error`: sort by probability, weight each bin's |mean probability - mean label| by its size. */
export function expectedCalibrationError(labels: readonly number[], probabilities: readonly number[], edges: ReadonlyArray<[number, number]>): number {
  const order = probabilities.map((_, i) => i).sort((a, b) => probabilities[a]! - probabilities[b]! || a - b);
  let total = 0;
  for (const [start, end] of edges) {
    let probabilitySum = 0;
    let labelSum = 0;
    for (let position = start; position < end; position++) {
      probabilitySum += probabilities[order[position]!]!;
      labelSum += labels[order[position]!]!;
    }
    const size = end - start;
    total += (size / probabilities.length) * Math.abs(probabilitySum / size - labelSum / size);
  }
  return total;
}
