/**
 * What a drift comparison can be told: test and threshold overrides with Evidently's
 * precedence (per column > per kind > global > the test's default), the dataset rule, and the
 * limits of the findings Evidently does not have. One zod schema gives the check and the type.
 */
import { z } from 'zod';
import type { DriftTest } from './drift-report.js';

export const DRIFT_TESTS = ['ks', 'chisquare', 'z', 'wasserstein', 'jensenshannon', 'psi', 'kl', 'psi_reference_quantiles'] as const satisfies readonly DriftTest[];

const Test = z.enum(DRIFT_TESTS);
const Threshold = z.number().positive();
const Override = z.strictObject({ method: Test.optional(), threshold: Threshold.optional() });

export const DriftOptions = z.strictObject({
  /** `auto` (or absent): Evidently's default test per column; otherwise this test for every column. */
  method: z.union([z.literal('auto'), Test]).optional(),
  /** p-value for the tests, distance for the distances; absent: the test's default. */
  threshold: Threshold.optional(),
  /** Per kind of column, between the global setting and the per-column one. */
  kinds: z.strictObject({ numeric: Override.optional(), categorical: Override.optional() }).optional(),
  /** Per column: `{ amount: { method: 'psi', threshold: 0.2 } }`. */
  columns: z.record(z.string(), Override).optional(),
  /** Dataset drift when drifted / evaluated columns reaches this (Evidently's drift_share). */
  datasetThreshold: z.number().min(0).max(1).default(0.5),
  /** A change of the missing-value share by at least this much (absolute) is a finding; `critical` from the second number. */
  missingShareShift: z.strictObject({ warning: z.number().min(0).max(1), critical: z.number().min(0).max(1) }).default({ warning: 0.05, critical: 0.2 }),
  /** Current rows in categories the reference never saw: a warning, critical from this share. */
  newCategoryCriticalShare: z.number().min(0).max(1).default(0.01),
  /** Bins of `psi_reference_quantiles`: reference quantiles at i / bins. */
  referenceQuantileBins: z.number().int().min(2).max(1000).default(10),
  /** Bins of the chart histograms of numeric columns with many values. */
  chartBins: z.number().int().min(1).max(200).default(20),
  /** Categories drawn per categorical column; the rest are pooled as "(other)". */
  chartCategories: z.number().int().min(1).max(1000).default(20),
});

export type DriftOptions = z.input<typeof DriftOptions>;
export type ResolvedDriftOptions = z.output<typeof DriftOptions>;

/** Evidently's default thresholds: p-values 0.05, distances 0.1. */
export const DEFAULT_THRESHOLDS: Record<DriftTest, number> = {
  ks: 0.05,
  chisquare: 0.05,
  z: 0.05,
  wasserstein: 0.1,
  jensenshannon: 0.1,
  psi: 0.1,
  kl: 0.1,
  psi_reference_quantiles: 0.1,
};

export function isPValueTest(test: DriftTest): boolean {
  return test === 'ks' || test === 'chisquare' || test === 'z';
}

/**
 * Evidently's verdicts: KS drifts when p ≤ threshold; chi-square and z when p < threshold;
 * the distances when distance ≥ threshold.
 */
export function isDrift(test: DriftTest, value: number, threshold: number): boolean {
  if (test === 'ks') return value <= threshold;
  if (test === 'chisquare' || test === 'z') return value < threshold;
  return value >= threshold;
}
