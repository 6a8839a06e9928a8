/**
 * Predictions joined with the labels that have arrived, by request id, per version and window.
 * Labels arrive late (chargebacks come days or weeks after the prediction), twice (a correction),
 * or never; the join is a pure function of the two logs as of one instant, so re-running a check
 * later, with more labels, re-evaluates the same windows with more coverage.
 *
 * Rules, each chosen so the result does not depend on the order the rows are read in:
 * - A label counts only if it arrived at or before `asOfMs` (later ones are not known yet).
 * - Several labels for one request id: the last to arrive wins (a correction supersedes what it
 *   corrects, as a chargeback reversal does); labels arriving in the same millisecond with
 *   different values resolve to 1 (a fraud report is not cancelled by a simultaneous "legit").
 *   Superseded labels are counted, never joined twice.
 * - A label whose request id matches no scored prediction in the input is ignored and counted
 *   (its prediction failed, is outside the time range read, or the id is wrong).
 * - A prediction without a score (the request failed) is not part of any window; counted.
 * - Two predictions with one request id (a client reusing x-request-id): the one logged last is
 *   the one the label is about, as the gateway's FeedbackIndex remembers it; ties on time go to
 *   the higher version, then the higher score. The other is counted, not joined.
 */
import type { LabelRecord } from '../serving/feedback-log.js';
import type { PredictionRecord } from '../serving/gateway-contract.js';

/** What the join needs of a prediction-log row; the rest (features) travels along untouched. */
export type JoinablePrediction = Pick<PredictionRecord, 'requestId' | 'timestamp' | 'version' | 'score'>;
/** What the join needs of a label-log row: `timestamp` is when the label arrived. */
export type JoinableLabel = Pick<LabelRecord, 'requestId' | 'timestamp' | 'label'>;

export type ScoredPrediction<P extends JoinablePrediction> = P & { score: number };

export interface LabelJoinOptions {
  windowMs: number;
  /** The instant of the check: labels that arrived later are not known yet, and a window ending later is still open. */
  asOfMs: number;
  /** A window is complete with at least this many labels... */
  minLabels: number;
  /** ...and at least this share of its predictions labelled, once it has ended. */
  minLabelCoverage: number;
  /** Windows are [origin + k * windowMs, origin + (k + 1) * windowMs); default 0, so windows align on UTC boundaries. */
  originMs?: number;
}

export interface JoinedWindow<P extends JoinablePrediction> {
  version: number;
  startMs: number;
  endMs: number;
  /** One per request id, oldest first (then by request id). */
  predictions: Array<ScoredPrediction<P>>;
  /** Aligned with `predictions`; null: no label had arrived by `asOfMs`. */
  labels: Array<0 | 1 | null>;
  predicted: number;
  labelled: number;
  /** labelled / predicted, in [0, 1]. */
  labelCoverage: number;
  /** The window has ended (endMs <= asOfMs). */
  closed: boolean;
  /** Closed, with enough labels and enough coverage to judge realised performance. */
  complete: boolean;
  /** Why not complete, in words, when it is not. */
  incompleteBecause?: string;
}

export interface LabelJoinResult<P extends JoinablePrediction> {
  /** Windows holding at least one scored prediction, by start time then version. */
  windows: Array<JoinedWindow<P>>;
  ignored: {
    unscoredPredictions: number;
    duplicatePredictions: number;
    labelsNotYetArrived: number;
    supersededLabels: number;
    /** Request ids with a label (arrived by asOfMs) but no scored prediction in the input. */
    labelsForUnknownRequests: number;
  };
}

export function joinLabelsByWindow<P extends JoinablePrediction>(
  predictions: readonly P[],
  labels: readonly JoinableLabel[],
  options: LabelJoinOptions,
): LabelJoinResult<P> {
  const { windowMs, asOfMs, originMs = 0 } = options;
  if (!(windowMs > 0)) throw new RangeError(`windowMs must be positive, got ${windowMs}`);
  const { byRequest, unscored, duplicates } = latestScoredPredictions(predictions);
  const { labelOf, notYetArrived, superseded } = latestLabels(labels, asOfMs);

  let unknown = 0;
  for (const requestId of labelOf.keys()) if (!byRequest.has(requestId)) unknown++;

  const windows = new Map<string, { version: number; startMs: number; predictions: Array<ScoredPrediction<P>> }>();
  for (const prediction of byRequest.values()) {
    const startMs = originMs + Math.floor((prediction.timestamp - originMs) / windowMs) * windowMs;
    const key = `${prediction.version}@${startMs}`;
    let window = windows.get(key);
    if (!window) windows.set(key, (window = { version: prediction.version, startMs, predictions: [] }));
    window.predictions.push(prediction);
  }

  const joined = [...windows.values()].map(({ version, startMs, predictions: rows }) => {
    rows.sort((a, b) => a.timestamp - b.timestamp || compareText(a.requestId, b.requestId));
    const windowLabels = rows.map((row) => labelOf.get(row.requestId) ?? null);
    const labelled = windowLabels.filter((label) => label !== null).length;
    const endMs = startMs + windowMs;
    return { version, startMs, endMs, predictions: rows, labels: windowLabels, predicted: rows.length, labelled, labelCoverage: labelled / rows.length, ...completeness(endMs, labelled, rows.length, options) };
  });
  joined.sort((a, b) => a.startMs - b.startMs || a.version - b.version);

  return {
    windows: joined,
    ignored: { unscoredPredictions: unscored, duplicatePredictions: duplicates, labelsNotYetArrived: notYetArrived, supersededLabels: superseded, labelsForUnknownRequests: unknown },
  };
}

function completeness(endMs: number, labelled: number, predicted: number, { asOfMs, minLabels, minLabelCoverage }: LabelJoinOptions) {
  const closed = endMs <= asOfMs;
  const coverage = labelled / predicted;
  const reasons: string[] = [];
  if (!closed) reasons.push('the window has not ended');
  if (labelled < minLabels) reasons.push(`${labelled} labels < ${minLabels} needed`);
  if (coverage < minLabelCoverage) reasons.push(`label coverage ${formatShare(coverage)} < ${formatShare(minLabelCoverage)} needed`);
  return reasons.length === 0 ? { closed, complete: true } : { closed, complete: false, incompleteBecause: reasons.join('; ') };
}

function latestScoredPredictions<P extends JoinablePrediction>(predictions: readonly P[]) {
  const byRequest = new Map<string, ScoredPrediction<P>>();
  let unscored = 0;
  let duplicates = 0;
  for (const prediction of predictions) {
    if (prediction.score === null || !Number.isFinite(prediction.score)) {
      unscored++;
      continue;
    }
    const scored = prediction as ScoredPrediction<P>;
    const kept = byRequest.get(prediction.requestId);
    if (kept === undefined) {
      byRequest.set(prediction.requestId, scored);
      continue;
    }
    duplicates++;
    if (loggedLater(scored, kept)) byRequest.set(prediction.requestId, scored);
  }
  return { byRequest, unscored, duplicates };
}

function loggedLater(a: ScoredPrediction<JoinablePrediction>, b: ScoredPrediction<JoinablePrediction>): boolean {
  return (a.timestamp - b.timestamp || a.version - b.version || a.score - b.score) > 0;
}

function latestLabels(labels: readonly JoinableLabel[], asOfMs: number) {
  const latest = new Map<string, JoinableLabel>();
  let notYetArrived = 0;
  let superseded = 0;
  for (const label of labels) {
    if (label.timestamp > asOfMs) {
      notYetArrived++;
      continue;
    }
    const kept = latest.get(label.requestId);
    if (kept === undefined) {
      latest.set(label.requestId, label);
      continue;
    }
    superseded++;
    if ((label.timestamp - kept.timestamp || label.label - kept.label) > 0) latest.set(label.requestId, label);
  }
  const labelOf = new Map<string, 0 | 1>();
  for (const [requestId, label] of latest) labelOf.set(requestId, label.label === 1 ? 1 : 0);
  return { labelOf, notYetArrived, superseded };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function formatShare(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
