/** Machine epsilon for float64 (2^-52), the clip scikit-learn applies to float64 probabilities. */
export const FLOAT64_EPSILON = Number.EPSILON;

/**
 * Mean binary cross-entropy, as scikit-learn computes log_loss(labels, scores, labels=[0, 1]) for
 * float64 scores (checked against 1.9.1; the clip has been the dtype's eps since 1.3, 1e-15 before): the two class columns [1 - p, p] are each clipped to [eps, 1 - eps] before
 * the log, so a confident mistake costs -log(eps) ≈ 36.04 instead of Infinity. Unlike sklearn
 * without `labels=`, a one-class hold-out still gets a loss. Scores given as Float32Array are
 * read as float64 (sklearn would clip float32 input at float32's eps).
 */
export function logLoss(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const n = labels.length;
  // Neumaier-compensated sum: as accurate as numpy's pairwise sum for any n.
  let sum = 0;
  let compensation = 0;
  for (let row = 0; row < n; row++) {
    const score = scores[row]!;
    const probabilityOfLabel = labels[row] === 1 ? score : 1 - score;
    const clipped = Math.min(Math.max(probabilityOfLabel, FLOAT64_EPSILON), 1 - FLOAT64_EPSILON);
    const term = -Math.log(clipped);
    const total = sum + term;
    compensation += Math.abs(sum) >= Math.abs(term) ? sum - total + term : term - total + sum;
    sum = total;
  }
  return (sum + compensation) / n;
}
