/**
 * Everything the performance check says about one joined window, in one pure call: realised
 * metrics, the CBPE estimate (all predictions, labelled or not), the verdict against the training
 * hold-out, concept drift, and production fairness. The workflow's activity reads the two logs,
 * joins them (label-join.ts) and maps this over the windows; the result is plain JSON for the
 * report and the alerts.
 */
import type { PredictionRecord } from '../serving/gateway-contract.js';
import type { FairnessGate } from '../spec/schema.js';
import { estimatePerformance, type CbpeEstimate, type CbpeModel } from './cbpe.js';
import { detectConceptDrift, type ConceptDriftFinding } from './concept-drift.js';
import type { JoinablePrediction, JoinedWindow } from './label-join.js';
import type { PerformanceMonitorSection } from './performance-config.js';
import type { RealisedMetricName } from './performance-metric-names.js';
import { judgeWindowPerformance, type WindowPerformanceVerdict } from './performance-verdict.js';
import { judgeProductionFairness, sensitiveGroupsFromLoggedValues, type ProductionFairness } from './production-fairness.js';
import { realisedMetrics, type RealisedMetrics } from './realised-metrics.js';

/** What a version brings from training: its hold-out metrics (the baseline) and CBPE fitted on its hold-out. */
export interface VersionReference {
  baseline: Partial<Record<RealisedMetricName, number | null>>;
  /** null when the hold-out could not be scored again (then nothing is estimated). */
  cbpe: CbpeModel | null;
}

export interface WindowAssessment {
  version: number;
  startMs: number;
  endMs: number;
  predicted: number;
  labelled: number;
  labelCoverage: number;
  closed: boolean;
  complete: boolean;
  incompleteBecause?: string;
  realised: RealisedMetrics;
  /** CBPE on every prediction of the window; null when estimation is off or there is no CBPE model. */
  estimated: CbpeEstimate | null;
  performance: WindowPerformanceVerdict;
  conceptDrift: ConceptDriftFinding | null;
  /** null without a fairness gate in the definition. */
  fairness: ProductionFairness | null;
}

type WindowPrediction = JoinablePrediction & Partial<Pick<PredictionRecord, 'features'>>;

export function assessWindow<P extends WindowPrediction>(
  window: JoinedWindow<P>,
  reference: VersionReference,
  config: PerformanceMonitorSection,
  { threshold, fairnessGate }: { threshold: number; fairnessGate?: FairnessGate },
): WindowAssessment {
  if (reference.cbpe && reference.cbpe.threshold !== threshold) {
    throw new RangeError(`the CBPE model of v${window.version} was fitted at threshold ${reference.cbpe.threshold}, the check runs at ${threshold}: fit it again`);
  }
  const scores = window.predictions.map((prediction) => prediction.score);
  const { predictions: _rows, labels, ...counts } = window;
  const realised = realisedMetrics(scores, labels, threshold);
  const cbpe = config.estimate ? reference.cbpe : null;
  return {
    ...counts,
    realised,
    estimated: cbpe && scores.length > 0 ? estimatePerformance(cbpe, scores) : null,
    performance: judgeWindowPerformance({ window, realised, baseline: reference.baseline, bounds: config.metrics, minSupport: config.minSupport }),
    conceptDrift: cbpe
      ? detectConceptDrift(cbpe, { scores, labels, complete: window.complete, ...(window.incompleteBecause !== undefined && { incompleteBecause: window.incompleteBecause }) }, { ...config.conceptDrift, minSupport: config.minSupport })
      : null,
    fairness: fairnessGate
      ? judgeProductionFairness({
          scores,
          labels,
          groups: sensitiveGroupsFromLoggedValues(
            window.predictions.map((prediction) => prediction.features?.[fairnessGate.attribute]),
            fairnessGate.attribute,
          ),
          threshold,
          labelsComplete: window.complete,
          gate: fairnessGate,
          minGroupRows: config.fairness.minGroupRows,
        })
      : null,
  };
}
