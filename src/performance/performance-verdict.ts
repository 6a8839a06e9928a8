/**
 * The verdict on one window's realised performance against the training hold-out (the baseline):
 * per metric `ok | degraded | incomplete`, a pure function of counted state and the bounds of
 * `monitor.performance`. A window whose labels are still incomplete, a metric with too little
 * support, or a metric without a baseline is "incomplete", never "degraded": a missing label must
 * not read as a missed fraud.
 */
import { formatNumber, formatPair } from '../evaluate/format-number.js';
import { HIGHER_IS_BETTER } from '../spec/schema.js';
import type { PerformanceMonitorSection } from './performance-config.js';
import { REALISED_METRIC_NAMES, type RealisedMetricName } from './performance-metric-names.js';
import type { RealisedMetrics } from './realised-metrics.js';

export type PerformanceVerdict = 'ok' | 'degraded' | 'incomplete';

export interface MetricVerdict {
  metric: RealisedMetricName;
  verdict: PerformanceVerdict;
  /** The training hold-out value; null when the registry has none. */
  baseline: number | null;
  value: number | null;
  /** How much worse than the baseline, positive when worse (for log_loss, an increase); null when either is missing. */
  drop: number | null;
  maxDrop: number;
  /** Labelled rows the value rests on (see minSupport). */
  support: number;
  detail: string;
}

export interface WindowPerformanceVerdict {
  /** degraded if any metric is, else incomplete if any is, else ok. */
  verdict: PerformanceVerdict;
  metrics: MetricVerdict[];
}

export interface PerformanceVerdictInput {
  window: { complete: boolean; incompleteBecause?: string };
  realised: RealisedMetrics;
  baseline: Partial<Record<RealisedMetricName, number | null>>;
  bounds: PerformanceMonitorSection['metrics'];
  minSupport: number;
}

/** A drop this close to maxDrop is not beyond it: 0.80 - 0.75 is 0.05000000000000004 in doubles. */
const ROUNDING_SLACK = 1e-12;

export function judgeWindowPerformance({ window, realised, baseline, bounds, minSupport }: PerformanceVerdictInput): WindowPerformanceVerdict {
  const metrics: MetricVerdict[] = [];
  for (const metric of REALISED_METRIC_NAMES) {
    const bound = bounds[metric];
    if (bound === undefined) continue;
    metrics.push(judgeMetric(metric, bound.maxDrop, { window, realised, baseline: baseline[metric] ?? null, minSupport }));
  }
  const verdicts = new Set(metrics.map((m) => m.verdict));
  return { verdict: verdicts.has('degraded') ? 'degraded' : verdicts.has('incomplete') ? 'incomplete' : 'ok', metrics };
}

function judgeMetric(
  metric: RealisedMetricName,
  maxDrop: number,
  { window, realised, baseline, minSupport }: { window: PerformanceVerdictInput['window']; realised: RealisedMetrics; baseline: number | null; minSupport: number },
): MetricVerdict {
  const value = realised[metric];
  const usableBaseline = baseline !== null && Number.isFinite(baseline) ? baseline : null;
  const drop = value === null || usableBaseline === null ? null : HIGHER_IS_BETTER[metric] ? usableBaseline - value : value - usableBaseline;
  const support = supportOf(metric, realised);
  const result = { metric, baseline: usableBaseline, value, drop, maxDrop, support };
  const incomplete = (why: string): MetricVerdict => ({ ...result, verdict: 'incomplete', detail: `${metric} not judged: ${why}` });

  if (!window.complete) return incomplete(`labels incomplete (${window.incompleteBecause ?? 'window not complete'})`);
  if (usableBaseline === null) return incomplete('no training hold-out value to compare with');
  if (value === null || drop === null) return incomplete(`not measurable in this window (${whyUndefined(metric)})`);
  if (support < minSupport) return incomplete(`rests on ${support} ${supportName(metric)}, fewer than the ${minSupport} needed`);

  const [shown, reference] = formatPair(value, usableBaseline);
  const change = `${metric} ${shown} vs ${reference} on the training hold-out`;
  if (drop - maxDrop > ROUNDING_SLACK) {
    return { ...result, verdict: 'degraded', detail: `${change}: ${HIGHER_IS_BETTER[metric] ? 'down' : 'up'} ${formatNumber(drop)} > maxDrop ${formatNumber(maxDrop)}` };
  }
  return { ...result, verdict: 'ok', detail: `${change}: within maxDrop ${formatNumber(maxDrop)}` };
}

/** Labelled rows a metric's value rests on: positives for recall and F1, predicted positives for precision, the smaller class for ROC AUC, every label for the rest. */
export function supportOf(metric: RealisedMetricName, realised: RealisedMetrics): number {
  const confusion = realised.confusion;
  if (confusion === null) return 0;
  const { tp, fp, fn, tn } = confusion;
  switch (metric) {
    case 'recall':
    case 'f1':
      return tp + fn;
    case 'precision':
      return tp + fp;
    case 'roc_auc':
      return Math.min(tp + fn, fp + tn);
    case 'accuracy':
    case 'log_loss':
      return realised.labelled;
  }
}

function supportName(metric: RealisedMetricName): string {
  if (metric === 'recall' || metric === 'f1') return 'labelled positives';
  if (metric === 'precision') return 'labelled predicted positives';
  if (metric === 'roc_auc') return 'labelled rows in its smaller class';
  return 'labels';
}

function whyUndefined(metric: RealisedMetricName): string {
  if (metric === 'recall') return 'no labelled positives';
  if (metric === 'f1') return 'no labelled positives and no predicted positives';
  if (metric === 'precision') return 'no labelled predicted positives';
  if (metric === 'roc_auc') return 'the labels hold one class';
  return 'no labels';
}
