/**
 * Concept drift: the relationship between inputs and label moved. CBPE assumes it has not (the
 * calibrated score still is the probability of the label), so on the same rows the realised
 * metric should fall inside CBPE's confidence band; a realised value outside the band, widened by
 * a stated tolerance, means the labels no longer follow the scores the way they did on the
 * reference. Both sides are computed on the window's labelled rows only, so label coverage
 * cannot open a gap. Reported as its own finding (kind `concept_drift`), apart from data drift,
 * which compares input distributions and can be silent when this fires (and the other way round).
 */
import { formatNumber } from '../evaluate/format-number.js';
import { estimatePerformance, type CbpeModel, type EstimatedValue } from './cbpe.js';
import type { EstimatedMetricName } from './performance-metric-names.js';
import { supportOf } from './performance-verdict.js';
import { realisedMetrics } from './realised-metrics.js';

export type ConceptDriftFindingKind = 'concept_drift' | 'none' | 'incomplete';

export interface ConceptDriftCheck {
  metric: EstimatedMetricName;
  finding: ConceptDriftFindingKind;
  realised: number | null;
  /** CBPE on the same labelled rows. */
  estimated: EstimatedValue | null;
  /** realised - estimated; negative when the model does worse than its scores promise. */
  gap: number | null;
  /** The estimate's band widened by the tolerance: inside it, no finding. */
  band: { lower: number; upper: number } | null;
  direction?: 'worse' | 'better';
  detail: string;
}

export interface ConceptDriftFinding {
  kind: 'concept_drift';
  detected: boolean;
  /** Labelled rows both sides were computed on. */
  rows: number;
  checks: ConceptDriftCheck[];
}

export interface ConceptDriftWindow {
  scores: ArrayLike<number>;
  labels: ArrayLike<0 | 1 | null>;
  complete: boolean;
  incompleteBecause?: string;
}

export interface ConceptDriftOptions {
  metrics: readonly EstimatedMetricName[];
  tolerance: number;
  minSupport: number;
}

export function detectConceptDrift(model: CbpeModel, window: ConceptDriftWindow, { metrics, tolerance, minSupport }: ConceptDriftOptions): ConceptDriftFinding {
  const scores: number[] = [];
  const labels: Array<0 | 1> = [];
  for (let row = 0; row < window.scores.length; row++) {
    const label = window.labels[row];
    if (label === 0 || label === 1) {
      scores.push(window.scores[row]!);
      labels.push(label);
    }
  }
  const incomplete = (metric: EstimatedMetricName, why: string, partial: Partial<ConceptDriftCheck> = {}): ConceptDriftCheck => ({
    metric, finding: 'incomplete', realised: null, estimated: null, gap: null, band: null, ...partial, detail: `${metric} not compared: ${why}`,
  });
  if (!window.complete || scores.length === 0) {
    const why = `labels incomplete (${window.incompleteBecause ?? 'no labels'})`;
    return { kind: 'concept_drift', detected: false, rows: scores.length, checks: metrics.map((metric) => incomplete(metric, why)) };
  }

  const realised = realisedMetrics(scores, labels, model.threshold);
  const estimate = estimatePerformance(model, scores);
  const checks = metrics.map((metric): ConceptDriftCheck => {
    const value = realised[metric];
    const estimated = estimate.metrics[metric];
    const support = supportOf(metric, realised);
    if (value === null) return incomplete(metric, 'not measurable on these labels', { estimated });
    if (estimated.lower === null || estimated.upper === null || estimated.value === null) return incomplete(metric, 'no CBPE estimate with a band', { realised: value, estimated });
    if (support < minSupport) return incomplete(metric, `rests on ${support} labelled rows, fewer than the ${minSupport} needed`, { realised: value, estimated });

    const gap = value - estimated.value;
    const band = { lower: estimated.lower - tolerance, upper: estimated.upper + tolerance };
    const compared = `${metric} realised ${formatNumber(value)}, estimated ${formatNumber(estimated.value)} (band ${formatNumber(estimated.lower)}-${formatNumber(estimated.upper)}, tolerance ${formatNumber(tolerance)}) on ${scores.length} labelled rows`;
    if (value >= band.lower && value <= band.upper) return { metric, finding: 'none', realised: value, estimated, gap, band, detail: compared };
    const direction = value < band.lower ? 'worse' : 'better';
    return { metric, finding: 'concept_drift', realised: value, estimated, gap, band, direction, detail: `${compared}: ${direction} than the scores predict` };
  });
  return { kind: 'concept_drift', detected: checks.some((check) => check.finding === 'concept_drift'), rows: scores.length, checks };
}
