/**
 * The built-in trainer: binary logistic regression with an L2 penalty, fitted by L-BFGS.
 *
 * Objective: Σ log-loss + (l2 / 2)·‖w‖², intercept unpenalised — scikit-learn's
 * LogisticRegression(C = 1 / l2, solver='lbfgs'). Like scikit-learn we minimise it divided by the
 * row count, so `tolerance` means what sklearn's `tol` means (largest gradient component of the
 * per-row objective) and the result matches sklearn's coefficients on the same encoded design.
 */
import type { Table } from '../data/table.js';
import type { BuiltinTrain } from '../spec/schema.js';
import { LINEAR_MODEL_FORMAT, type LinearModelArtifact } from './artifact.js';
import { TrainingDataError } from './input-errors.js';
import { minimizeLbfgs, type Objective } from './lbfgs.js';
import { buildDesignMatrix, fitFeatureEncodings, requireColumn, type DesignMatrix } from './preprocess.js';
import { readBinaryTarget } from './binary-target.js';

export interface LogisticRegressionOptions {
  model: string;
  target: string;
  features: string[];
  /** Training row indices into the table. */
  rows: Uint32Array;
  params: BuiltinTrain['params'];
  /** Recorded for lineage; the fit itself is deterministic and uses no randomness. */
  seed: number;
}

export function trainLogisticRegression(table: Table, options: LogisticRegressionOptions): LinearModelArtifact {
  const started = performance.now();
  const { target, features, rows, params } = options;
  if (features.length === 0) throw new TrainingDataError('no feature columns to train on');
  if (features.includes(target)) throw new TrainingDataError(`the target column "${target}" is also listed as a feature`);
  if (rows.length === 0) throw new TrainingDataError('no training rows');
  for (const feature of features) requireColumn(table, feature);

  const labels = readBinaryTarget(table, target, rows);
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i]!;
  if (positives === 0 || positives === rows.length) {
    throw new TrainingDataError(`the training rows hold only class ${positives === 0 ? 0 : 1} in "${target}"; logistic regression needs both classes`);
  }

  const encodings = fitFeatureEncodings(table, features, rows, params.minCategoryCount);
  const design = buildDesignMatrix(table, encodings, rows);
  const objective = logisticObjective(design, labels, params.l2);
  // Start from the best model without features (intercept = log-odds of the base rate).
  const start = new Float64Array(design.width + 1);
  start[design.width] = Math.log(positives / (rows.length - positives));
  const result = minimizeLbfgs(objective, start, {
    maxIterations: params.maxIterations,
    gradientTolerance: params.tolerance,
    // Stop on the gradient, or once an iteration cannot lower the objective at all (its
    // rounding noise is reached); sklearn's 64·eps stops ~1e-6 short of the optimum.
    relativeLossTolerance: 0,
  });

  const { x } = result;
  return {
    format: LINEAR_MODEL_FORMAT,
    model: options.model,
    algorithm: 'logistic_regression',
    target,
    features: encodings,
    intercept: x[design.width]!,
    weights: Array.from(x.subarray(0, design.width)),
    params: { l2: params.l2, maxIterations: params.maxIterations, tolerance: params.tolerance, minCategoryCount: params.minCategoryCount },
    training: {
      rows: rows.length,
      positives,
      iterations: result.iterations,
      converged: result.converged,
      finalLoss: result.value * rows.length,
      seconds: (performance.now() - started) / 1000,
      seed: options.seed,
    },
    createdAt: new Date().toISOString(),
  };
}

/**
 * The per-row objective and its gradient over parameters [w_0 … w_{width−1}, intercept], in one
 * pass over the rows: each row's margin, loss and gradient contribution are computed together.
 */
export function logisticObjective(design: DesignMatrix, labels: Float64Array, l2: number): Objective {
  const { rowCount, width, numeric, numericCount, numericColumn, hot, categoricalCount } = design;
  // Weights and their gradient with one extra slot at `width`: the always-zero weight that
  // all-zero one-hot rows point at (see DesignMatrix.hot).
  const weights = new Float64Array(width + 1);
  const weightGradient = new Float64Array(width + 1);
  const numericWeights = new Float64Array(numericCount);
  const numericGradient = new Float64Array(numericCount);
  const gradient = new Float64Array(width + 1);

  return (parameters) => {
    weights.set(parameters.subarray(0, width));
    // Numeric weights gathered into a dense array so the inner loops read contiguous memory.
    for (let j = 0; j < numericCount; j++) numericWeights[j] = weights[numericColumn[j]!]!;
    numericGradient.fill(0);
    weightGradient.fill(0);
    const intercept = parameters[width]!;
    let lossSum = 0;
    let lossCompensation = 0;
    let interceptGradient = 0;
    for (let i = 0, base = 0, hotBase = 0; i < rowCount; i++, base += numericCount, hotBase += categoricalCount) {
      // Four partial sums: one long chain of dependent additions would stall on FP latency.
      let sum0 = intercept;
      let sum1 = 0;
      let sum2 = 0;
      let sum3 = 0;
      let j = 0;
      for (; j + 3 < numericCount; j += 4) {
        sum0 += numeric[base + j]! * numericWeights[j]!;
        sum1 += numeric[base + j + 1]! * numericWeights[j + 1]!;
        sum2 += numeric[base + j + 2]! * numericWeights[j + 2]!;
        sum3 += numeric[base + j + 3]! * numericWeights[j + 3]!;
      }
      for (; j < numericCount; j++) sum0 += numeric[base + j]! * numericWeights[j]!;
      for (let k = 0; k < categoricalCount; k++) sum1 += weights[hot[hotBase + k]!]!;
      const margin = sum0 + sum1 + (sum2 + sum3);
      // Loss and sigmoid from one exp of −|m|: nothing overflows, and the loss, written as
      // softplus(±m), is a sum of two non-negative terms with no cancellation.
      const small = Math.exp(-Math.abs(margin));
      const label = labels[i]!;
      const signedMargin = label === 1 ? -margin : margin;
      const loss = (signedMargin > 0 ? signedMargin : 0) + Math.log1p(small);
      // Neumaier-compensated sum: near the optimum the line search compares values that differ
      // in the last digits, so rounding noise in the total would stall it.
      const total = lossSum + loss;
      lossCompensation += lossSum >= loss ? lossSum - total + loss : loss - total + lossSum;
      lossSum = total;
      const reciprocal = 1 / (1 + small);
      const residual = (margin >= 0 ? reciprocal : small * reciprocal) - label;
      interceptGradient += residual;
      for (let c = 0; c < numericCount; c++) numericGradient[c] = numericGradient[c]! + residual * numeric[base + c]!;
      for (let k = 0; k < categoricalCount; k++) {
        const column = hot[hotBase + k]!;
        weightGradient[column] = weightGradient[column]! + residual;
      }
    }
    for (let j = 0; j < numericCount; j++) weightGradient[numericColumn[j]!] = numericGradient[j]!;
    let penalty = 0;
    for (let c = 0; c < width; c++) {
      const weight = weights[c]!;
      penalty += weight * weight;
      gradient[c] = (weightGradient[c]! + l2 * weight) / rowCount;
    }
    gradient[width] = interceptGradient / rowCount;
    return { value: (lossSum + lossCompensation + 0.5 * l2 * penalty) / rowCount, gradient };
  };
}
