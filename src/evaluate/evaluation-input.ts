/** Evaluation inputs that cannot produce meaningful numbers; retrying cannot fix them. */
export class InvalidEvaluationInput extends Error {
  override readonly name = 'InvalidEvaluationInput';
}

/**
 * Labels must be 0/1, scores probabilities in [0, 1] (scikit-learn's log_loss rejects anything
 * else), both of the same non-zero length: an empty hold-out is a data problem, not a metric.
 */
export function checkLabelsAndScores(labels: ArrayLike<number>, scores: ArrayLike<number>): void {
  if (labels.length !== scores.length) {
    throw new InvalidEvaluationInput(`labels and scores differ in length: ${labels.length} labels, ${scores.length} scores`);
  }
  if (labels.length === 0) throw new InvalidEvaluationInput('nothing to evaluate: the hold-out has no rows');
  for (let row = 0; row < labels.length; row++) {
    const label = labels[row]!;
    if (label !== 0 && label !== 1) {
      throw new InvalidEvaluationInput(`label at row ${row} is ${label}; expected 0 or 1`);
    }
    const score = scores[row]!;
    if (!(score >= 0 && score <= 1)) {
      throw new InvalidEvaluationInput(`score at row ${row} is ${score}; expected a probability between 0 and 1`);
    }
  }
}

export function checkThreshold(threshold: number): void {
  if (!(threshold >= 0 && threshold <= 1)) {
    throw new InvalidEvaluationInput(`threshold is ${threshold}; expected a number between 0 and 1`);
  }
}
