/**
 * scikit-learn's IsotonicRegression(out_of_bounds="clip", increasing=True), the calibrator NannyML
 * fits on the reference: fit sorts by (score, label), averages the labels of scores closer than
 * float64's resolution (1e-15, `_make_unique`), pools adjacent violators as SciPy's
 * `optimize.isotonic_regression` does (Busing's O(n) PAVA, same operations in the same order),
 * and keeps the knots where the step function changes; calibrating clips a score to the fitted
 * range and interpolates linearly between knots as `np.interp` does.
 * Plain data, so a fitted calibrator can travel in workflow history.
 */
export interface IsotonicCalibrator {
  /** Knots: increasing scores and their calibrated probabilities (non-decreasing). */
  xThresholds: number[];
  yThresholds: number[];
}

/** numpy.finfo(float64).resolution: scores closer than this are one value to `_make_unique`. */
const FLOAT64_RESOLUTION = 1e-15;

export function fitIsotonicCalibrator(scores: ArrayLike<number>, labels: ArrayLike<number>): IsotonicCalibrator {
  const n = scores.length;
  if (n === 0 || labels.length !== n) throw new RangeError(`isotonic calibration needs as many labels as scores, and at least one: ${n} scores, ${labels.length} labels`);
  // np.lexsort((y, X)): by score, then label, stable.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]! || labels[a]! - labels[b]! || a - b);
  const { x, y, weight } = averageDuplicates(order, scores, labels);
  pava(y, weight);
  return keepChangePoints(x, y);
}

export function calibrateScores(calibrator: IsotonicCalibrator, scores: ArrayLike<number>): Float64Array {
  const { xThresholds: knotsX, yThresholds: knotsY } = calibrator;
  const last = knotsX.length - 1;
  const out = new Float64Array(scores.length);
  for (let row = 0; row < scores.length; row++) {
    const score = Math.min(Math.max(scores[row]!, knotsX[0]!), knotsX[last]!);
    if (last === 0) {
      out[row] = knotsY[0]!;
      continue;
    }
    const j = lastKnotAtOrBelow(knotsX, score);
    if (j === last || knotsX[j] === score) out[row] = knotsY[j]!;
    else {
      const slope = (knotsY[j + 1]! - knotsY[j]!) / (knotsX[j + 1]! - knotsX[j]!);
      out[row] = slope * (score - knotsX[j]!) + knotsY[j]!;
    }
  }
  return out;
}

/** scikit-learn's `_make_unique` over rows sorted by score: one point per distinct score, its mean label and its weight. */
function averageDuplicates(order: readonly number[], scores: ArrayLike<number>, labels: ArrayLike<number>) {
  const x: number[] = [];
  const y: number[] = [];
  const weight: number[] = [];
  let currentX = scores[order[0]!]!;
  let currentY = 0;
  let currentWeight = 0;
  for (const row of order) {
    const score = scores[row]!;
    if (score - currentX >= FLOAT64_RESOLUTION) {
      x.push(currentX);
      weight.push(currentWeight);
      y.push(currentY / currentWeight);
      currentX = score;
      currentWeight = 1;
      currentY = labels[row]!;
    } else {
      currentWeight += 1;
      currentY += labels[row]!;
    }
  }
  x.push(currentX);
  weight.push(currentWeight);
  y.push(currentY / currentWeight);
  return { x, y, weight };
}

/** SciPy's pava (Busing 2022, Algorithm 1, with its `>=` block rules), in place: `values` becomes the non-decreasing fit. */
function pava(values: number[], weights: number[]): void {
  const n = values.length;
  const blockStart = new Array<number>(n + 1).fill(-1);
  blockStart[0] = 0;
  blockStart[1] = 1;
  let block = 0;
  let previousValue = values[0]!;
  let previousWeight = weights[0]!;
  for (let i = 1; i < n; i++) {
    block++;
    let value = values[i]!;
    let weight = weights[i]!;
    if (previousValue >= value) {
      block--;
      let sum = previousWeight * previousValue + weight * value;
      weight += previousWeight;
      value = sum / weight;
      while (i < n - 1 && value >= values[i + 1]!) {
        i++;
        sum += weights[i]! * values[i]!;
        weight += weights[i]!;
        value = sum / weight;
      }
      while (block > 0 && values[block - 1]! >= value) {
        block--;
        sum += weights[block]! * values[block]!;
        weight += weights[block]!;
        value = sum / weight;
      }
    }
    values[block] = previousValue = value;
    weights[block] = previousWeight = weight;
    blockStart[block + 1] = i + 1;
  }
  let from = n - 1;
  for (let k = block; k >= 0; k--) {
    const to = blockStart[k]!;
    const value = values[k]!;
    for (let i = from; i >= to; i--) values[i] = value;
    from = to - 1;
  }
}

/** Keeps the first and last knot and every knot whose value differs from a neighbour's (scikit-learn's trim_duplicates). */
function keepChangePoints(x: readonly number[], y: readonly number[]): IsotonicCalibrator {
  const xThresholds: number[] = [];
  const yThresholds: number[] = [];
  for (let i = 0; i < y.length; i++) {
    const interior = i > 0 && i < y.length - 1;
    if (!interior || y[i] !== y[i - 1] || y[i] !== y[i + 1]) {
      xThresholds.push(x[i]!);
      yThresholds.push(y[i]!);
    }
  }
  return { xThresholds, yThresholds };
}

/** np.interp's search: the largest j with knots[j] <= value (value is within the knots here). */
function lastKnotAtOrBelow(knots: readonly number[], value: number): number {
  let low = 0;
  let high = knots.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >>> 1;
    if (knots[middle]! <= value) low = middle;
    else high = middle - 1;
  }
  return low;
}
