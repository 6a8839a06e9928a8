/**
 * The metric names of performance monitoring, in one module that imports nothing at run time, so
 * the definition's schema, the realised metrics and the estimator share them.
 * The realised ones are the evaluation gates' metrics (spec/schema.ts METRIC_NAMES), so a window
 * compares with the training hold-out metric for metric.
 */
import type { MetricName } from '../spec/schema.js';

export const REALISED_METRIC_NAMES = ['recall', 'precision', 'f1', 'roc_auc', 'log_loss', 'accuracy'] as const satisfies readonly MetricName[];
export type RealisedMetricName = (typeof REALISED_METRIC_NAMES)[number];

/** What CBPE estimates without labels (log loss needs them). */
export const ESTIMATED_METRIC_NAMES = ['recall', 'precision', 'f1', 'roc_auc', 'accuracy'] as const satisfies readonly RealisedMetricName[];
export type EstimatedMetricName = (typeof ESTIMATED_METRIC_NAMES)[number];

// A metric added to the gates fails to compile here until monitoring knows it.
const everyGateMetricIsMonitored: [Exclude<MetricName, RealisedMetricName>] extends [never] ? true : never = true;
void everyGateMetricIsMonitored;
