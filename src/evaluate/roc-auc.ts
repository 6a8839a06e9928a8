/**
 * Area under the ROC curve, equal to scikit-learn's roc_auc_score for binary labels, ties included.
 * It is the Mann-Whitney statistic: the share of (positive, negative) pairs the scores order
 * correctly, a tied pair counting one half, which is exactly the trapezoidal area sklearn sums.
 * Returns NaN when the labels hold only one class (sklearn warns and returns nan too).
 * O(n log n): two native typed-array sorts and one merge pass.
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const n = labels.length;
  let positiveCount = 0;
  for (let row = 0; row < n; row++) if (labels[row] === 1) positiveCount++;
  const negativeCount = n - positiveCount;
  if (positiveCount === 0 || negativeCount === 0) return Number.NaN;

  const positives = new Float64Array(positiveCount);
  const negatives = new Float64Array(negativeCount);
  for (let row = 0, p = 0, q = 0; row < n; row++) {
    if (labels[row] === 1) positives[p++] = scores[row]!;
    else negatives[q++] = scores[row]!;
  }
  positives.sort();
  negatives.sort();

  // Twice the count of correctly ordered pairs (ties count 1): an integer, exact below 2^53.
  let twiceCorrectPairs = 0;
  let negativesBelow = 0;
  for (let i = 0; i < positiveCount; ) {
    const score = positives[i]!;
    let end = i;
    while (end < positiveCount && positives[end] === score) end++;
    while (negativesBelow < negativeCount && negatives[negativesBelow]! < score) negativesBelow++;
    let tiedNegatives = 0;
    while (negativesBelow + tiedNegatives < negativeCount && negatives[negativesBelow + tiedNegatives] === score) tiedNegatives++;
    twiceCorrectPairs += (end - i) * (2 * negativesBelow + tiedNegatives);
    i = end;
  }
  return twiceCorrectPairs / (2 * positiveCount * negativeCount);
}
