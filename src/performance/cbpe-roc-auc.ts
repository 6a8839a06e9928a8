/**
 * NannyML's CBPE estimate of ROC AUC (`estimate_roc_auc` in
 * nannyml/performance_estimation/confidence_based/metrics.py): walk the rows from the highest
 * model score down; each row adds its calibrated probability to the expected true positives and
 * the rest to the expected false positives; the expected ROC curve is those cumulative sums,
 * rounded to 5 decimals (as NannyML does, with numpy's round-half-even), over their totals, and
 * the estimate is its trapezoidal area (scikit-learn's `auc`).
 * Rows tied on the model score have equal calibrated probabilities (the calibrator is monotone),
 * so the order among ties does not change the curve. null when the curve is undefined (every
 * probability 0, or every probability 1).
 */
export function estimateRocAuc(calibrated: ArrayLike<number>, modelScores: ArrayLike<number>): number | null {
  const n = calibrated.length;
  if (n === 0) return null;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => modelScores[b]! - modelScores[a]!);
  const truePositives = new Float64Array(n + 1);
  const falsePositives = new Float64Array(n + 1);
  let cumulative = 0;
  for (let i = 0; i < n; i++) {
    // Sequential, as np.cumsum adds, so the rounding below sees the same doubles.
    cumulative += calibrated[order[i]!]!;
    truePositives[i + 1] = roundTo5Decimals(cumulative);
    falsePositives[i + 1] = roundTo5Decimals(1 + i - cumulative);
  }
  const totalTrue = truePositives[n]!;
  const totalFalse = falsePositives[n]!;
  if (totalTrue === 0 || totalFalse === 0) return null;
  let area = 0;
  let compensation = 0;
  for (let i = 0; i < n; i++) {
    const width = falsePositives[i + 1]! / totalFalse - falsePositives[i]! / totalFalse;
    const term = (width * (truePositives[i + 1]! / totalTrue + truePositives[i]! / totalTrue)) / 2;
    const next = area + term;
    compensation += Math.abs(area) >= Math.abs(term) ? area - next + term : term - next + area;
    area = next;
  }
  return area + compensation;
}

/** np.round(x, 5): x * 1e5, rounded half to even (rint), / 1e5. */
function roundTo5Decimals(value: number): number {
  return roundHalfToEven(value * 1e5) / 1e5;
}

function roundHalfToEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
