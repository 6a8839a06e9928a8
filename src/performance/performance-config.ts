/**
 * `monitor.performance` in the pipeline definition: how the realised performance of each version
 * is judged against its training hold-out, window by window, as labels arrive.
 *
 *   monitor:
 *     performance:
 *       window: 24h
 *       metrics: { recall: { maxDrop: 0.05 }, precision: { maxDrop: 0.1 } }
 *       minLabels: 200
 *       schedule: "0 3 * * *"
 *
 * The fairness thresholds are not repeated here: production fairness is judged with the
 * training gate's own (`evaluate.gates.fairness`), as the issue asks.
 * This module imports nothing from spec/schema.ts at run time, so the schema can import it.
 */
import { z } from 'zod';
import { Duration, durationMsIfValid } from '../spec/duration.js';
import { quoteValue } from '../spec/problems.js';
import { ESTIMATED_METRIC_NAMES, REALISED_METRIC_NAMES } from './performance-metric-names.js';

const share = (what: string) =>
  z.number({ error: (issue) => `expected ${what} between 0 and 1, got ${quoteValue(issue.input)}` }).check((ctx) => {
    if (!(ctx.value >= 0 && ctx.value <= 1)) ctx.issues.push({ code: 'custom', input: ctx.value, message: `expected ${what} between 0 and 1, got ${quoteValue(ctx.value)}` });
  });

const atLeastOne = (what: string) =>
  z
    .number({ error: (issue) => `expected ${what}, got ${quoteValue(issue.input)}` })
    .int({ error: `expected ${what} (a whole number)` })
    .min(1, { error: `expected ${what} of at least 1` });

export const PerformanceMetricName = z.enum(REALISED_METRIC_NAMES);
export const EstimatedMetricName = z.enum(ESTIMATED_METRIC_NAMES);

export const PerformanceMetricBound = z.strictObject({
  /** How far below the training hold-out value the window may fall (absolute; for log_loss, how far above). */
  maxDrop: share('a drop'),
});

export const PerformanceMonitorSection = z
  .strictObject({
    /**
     * When the performance check runs (the `performance/<model>` Temporal Schedule, overlap SKIP).
     * A cron of 5 fields, as `monitor.drift.schedule` (the same pattern, kept here so this module
     * needs nothing from spec/schema.ts at run time).
     */
    schedule: z
      .string()
      .regex(/^\s*(\S+\s+){4}\S+\s*$/, { error: (issue) => `expected a cron expression of 5 fields such as "0 3 * * *", got ${quoteValue(issue.input)}` })
      .default('0 3 * * *'),
    /** Length of a window; windows align on UTC multiples of it. */
    window: Duration.default('24h'),
    /** How far back windows are re-evaluated as late labels arrive (chargebacks take weeks). */
    lookback: Duration.default('30d'),
    /** Bounds per metric; a window is "degraded" when any metric drops by more than its maxDrop. */
    metrics: z.partialRecord(PerformanceMetricName, PerformanceMetricBound).default({ recall: { maxDrop: 0.05 } }),
    /** A window is judged only once it has this many labels... */
    minLabels: atLeastOne('a number of labels').default(200),
    /** ...and this share of its predictions labelled; until then it is "incomplete", never "degraded". */
    minLabelCoverage: share('a share of labelled predictions').default(0.8),
    /**
     * Labelled rows a metric must rest on before it is judged: positives for recall and F1,
     * predicted positives for precision, the smaller class for ROC AUC, all labels for the rest.
     * Recall over 3 frauds is noise, not a measurement.
     */
    minSupport: atLeastOne('a number of rows').default(20),
    /** Estimate performance before labels arrive (NannyML's CBPE, fitted on the training hold-out). */
    estimate: z.boolean().default(true),
    /** Realised metric vs its CBPE estimate on the same labelled rows: outside the estimate's band widened by `tolerance` is concept drift. */
    conceptDrift: z
      .strictObject({
        metrics: z.array(EstimatedMetricName).min(1, { error: 'expected at least one metric' }).default(['recall', 'roc_auc']),
        tolerance: share('a tolerance').default(0.02),
      })
      .prefault({}),
    /** Groups with fewer predictions (fewer labels, for equalized odds) in a window are left out of its fairness check. */
    fairness: z.strictObject({ minGroupRows: atLeastOne('a number of rows').default(30) }).prefault({}),
    onDegradation: z.array(z.enum(['alert', 'retrain'])).default(['alert']),
  })
  .superRefine((section, ctx) => {
    const windowMs = durationMsIfValid(section.window);
    const lookbackMs = durationMsIfValid(section.lookback);
    if (windowMs !== undefined && windowMs <= 0) ctx.addIssue({ code: 'custom', path: ['window'], message: 'expected a window longer than 0' });
    if (windowMs !== undefined && lookbackMs !== undefined && lookbackMs < windowMs) {
      ctx.addIssue({ code: 'custom', path: ['lookback'], message: `expected a lookback of at least one window (${section.window}), got ${quoteValue(section.lookback)}` });
    }
  });

export type PerformanceMonitorSection = z.infer<typeof PerformanceMonitorSection>;
export type PerformanceMonitorSectionInput = z.input<typeof PerformanceMonitorSection>;
export type PerformanceMetricBound = z.infer<typeof PerformanceMetricBound>;
