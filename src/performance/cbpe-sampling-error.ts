/**
 * NannyML's sampling error for binary classification (nannyml/sampling_error/binary_classification.py):
 * a standard deviation measured once on the reference, scaled by the size of each window as
 * std / sqrt(n * share of the rows the metric rests on). CBPE's confidence band is the estimate
 * +- 3 sampling errors (SAMPLING_ERROR_RANGE), clipped to the metric's range.
 * null stands for NaN (undefined on this reference) so the components survive JSON.
 */
export const SAMPLING_ERROR_RANGE = 3;

export interface SamplingErrorComponent {
  std: number | null;
  /** Share of reference rows the metric rests on (positives for recall, predicted positives for precision, ...). */
  fraction: number;
}

export interface SamplingErrorComponents {
  roc_auc: SamplingErrorComponent;
  recall: SamplingErrorComponent;
  precision: SamplingErrorComponent;
  f1: SamplingErrorComponent;
  /** Accuracy and the unnormalised confusion-matrix cells rest on every row (fraction 1). */
  accuracy: SamplingErrorComponent;
  truePositive: SamplingErrorComponent;
  trueNegative: SamplingErrorComponent;
  falsePositive: SamplingErrorComponent;
  falseNegative: SamplingErrorComponent;
}

/** Components from the reference's labels and uncalibrated scores; prediction = score >= threshold. */
export function samplingErrorComponents(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold: number): SamplingErrorComponents {
  const n = labels.length;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let row = 0; row < n; row++) {
    const predicted = scores[row]! >= threshold;
    if (labels[row] === 1) predicted ? tp++ : fn++;
    else predicted ? fp++ : tn++;
  }
  const relevantToF1 = tp + fn + fp;
  const f1Correction = relevantToF1 / ((fn + fp) * 0.5 + tp);
  const cell = (count: number) => ({ std: standardDeviation(indicator(count, n - count)), fraction: 1 });
  return {
    roc_auc: rocAucComponent(labels, scores),
    recall: { std: standardDeviation(indicator(tp, fn)), fraction: (tp + fn) / n },
    precision: { std: standardDeviation(indicator(tp, fp)), fraction: (tp + fp) / n },
    f1: relevantToF1 === 0 ? { std: null, fraction: 0 } : { std: standardDeviation(indicator(tp, fn + fp, f1Correction)), fraction: relevantToF1 / n },
    accuracy: { std: standardDeviation(indicator(tp + tn, fp + fn)), fraction: 1 },
    truePositive: cell(tp),
    trueNegative: cell(tn),
    falsePositive: cell(fp),
    falseNegative: cell(fn),
  };
}

/** std / sqrt(rows * fraction): the sampling error of a metric on a window of `rows`; null when undefined. */
export function samplingError({ std, fraction }: SamplingErrorComponent, rows: number): number | null {
  if (std === null) return null;
  const error = std / Math.sqrt(rows * fraction);
  return Number.isFinite(error) ? error : null;
}

/** A confusion-matrix count's sampling error: std / sqrt(n) * n (NannyML, normalisation None). */
export function countSamplingError({ std }: SamplingErrorComponent, rows: number): number | null {
  return std === null ? null : (std / Math.sqrt(rows)) * rows;
}

/**
 * `auroc_sampling_error_components`: AUROC as a Mann-Whitney statistic. With the minority class as
 * positive, sort by score and take each positive's rank minus the positives ranked below it (the
 * negatives it beats), over the number of negatives; the component is the standard deviation of
 * those shares. As in NannyML, a positive ranked first shares the value 0 with the negatives and
 * is dropped by its `np.unique(...)[1:]`.
 */
function rocAucComponent(labels: ArrayLike<number>, scores: ArrayLike<number>): SamplingErrorComponent {
  const n = labels.length;
  let positives = 0;
  for (let row = 0; row < n; row++) positives += labels[row]!;
  const flip = positives / n > 0.5;
  const label = (row: number) => (flip ? Math.abs(labels[row]! - 1) : labels[row]!);
  const score = (row: number) => (flip ? 1 - scores[row]! : scores[row]!);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score(a) - score(b) || a - b);
  let minorityCount = 0;
  for (let row = 0; row < n; row++) minorityCount += label(row);
  const negatives = n - minorityCount;
  const shares: number[] = [];
  for (let rank = 1; rank < n; rank++) {
    if (label(order[rank]!) === 1) shares.push((rank - shares.length) / negatives);
  }
  return { std: standardDeviation(shares), fraction: minorityCount / n };
}

/** `ones` copies of `value` then `zeros` zeros, the observation-level vectors NannyML takes the std of. */
function indicator(ones: number, zeros: number, value = 1): Float64Array {
  const values = new Float64Array(ones + zeros);
  values.fill(value, 0, ones);
  return values;
}

/** numpy's np.std (ddof 0), two passes; null for no values (numpy: nan). */
function standardDeviation(values: ArrayLike<number>): number | null {
  const n = values.length;
  if (n === 0) return null;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i]! - mean) ** 2;
  return Math.sqrt(squares / n);
}
