/** Counts of a binary classifier's outcomes at one threshold; a prediction is positive when score >= threshold. */
export interface ConfusionCounts {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export function countConfusion(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold: number): ConfusionCounts {
  let tp = 0;
  let fp = 0;
  let positives = 0;
  const n = labels.length;
  for (let row = 0; row < n; row++) {
    const positive = labels[row] === 1;
    if (positive) positives++;
    if (scores[row]! >= threshold) {
      if (positive) tp++;
      else fp++;
    }
  }
  return { tp, fp, fn: positives - tp, tn: n - positives - fp };
}
