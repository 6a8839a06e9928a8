/**
 * The canary analysis's durable state: one JSON object the workflow keeps, updates only through
 * the pure functions of decide.ts, and returns as is from its `status` query. Times are epoch ms
 * from the workflow clock. Small by construction: the last MAX_RECORDED_CHECKS checks of the
 * current step, counters for all of them, one summary per finished step.
 */
import type { CheckResult, Verdict } from './check.js';
import type { ErrorCounts } from './error-rate-test.js';
import type { KpiEvidence } from './kpi-comparison.js';

export const MAX_RECORDED_CHECKS = 200;

export interface RecordedCheck extends CheckResult {
  at: number;
}

/** Counted over the current step (Argo's measurement counters). */
export interface CheckCounters {
  pass: number;
  fail: number;
  inconclusive: number;
  error: number;
  /** Checks that crossed a hard limit. */
  hardLimit: number;
  /**
   * Fails in the current run of failures. A run starts at a fail and ends at a pass; inconclusive
   * and error checks inside it neither end it nor count in it (a breach is not cleared by a quiet
   * minute or a metrics gap, and is not started by one either).
   */
  consecutiveFail: number;
  /** Checks without metrics in a row; any check with metrics (inconclusive included) resets it. */
  consecutiveError: number;
  /** Passes in a row; any other verdict resets it. */
  consecutivePass: number;
  /** When the current run of failures started (its first fail); null when none is running. */
  firstFailAt: number | null;
  /** The latest fail of the current run; the breach spans firstFailAt..lastFailAt plus one interval. */
  lastFailAt: number | null;
  /** The latest check with evidence (pass or fail); null before the first. */
  lastEvidenceAt: number | null;
  /** The latest verdict other than inconclusive; null before the first one. */
  latestVerdictIgnoringInconclusive: Exclude<Verdict, 'inconclusive'> | null;
}

export type DecisionAction = 'continue' | 'advance' | 'rollback' | 'hold' | 'extend';

export interface Decision {
  action: DecisionAction;
  reason: string;
}

export interface StepSummary {
  stepIndex: number;
  weight: number;
  startedAt: number;
  endedAt: number;
  extensions: number;
  counters: CheckCounters;
  evidence: ErrorCounts;
  decision: Decision;
}

export interface CanaryAnalysisState {
  stepIndex: number;
  /** Percent of traffic on the canary in this step. */
  weight: number;
  windowStartedAt: number;
  windowEndsAt: number;
  /** Length of one SLA window of this step; an extension adds one more. */
  windowMs: number;
  extensions: number;
  /** The current step's latest checks, oldest first, at most MAX_RECORDED_CHECKS. */
  checks: RecordedCheck[];
  counters: CheckCounters;
  /** Errors and requests of both versions summed over the step: the input of the Bayes factor. */
  evidence: ErrorCounts;
  /** Slow requests (as "errors") of both versions summed over the step: the latency test's input. */
  latencyEvidence?: ErrorCounts;
  /** Sums of the KPIs the SLA bounds, both versions, over the step (absent without sla.kpis). */
  kpiEvidence?: KpiEvidence;
  /** The champion's latest p99: the threshold of the next check's latency test (kept across steps). */
  latencyThresholdMs?: number | null;
  /** The latest decision of this step; null until the first. */
  decision: Decision | null;
  /** One per finished step, oldest first. */
  history: StepSummary[];
}

export const NO_CHECKS: CheckCounters = {
  pass: 0, fail: 0, inconclusive: 0, error: 0, hardLimit: 0,
  consecutiveFail: 0, consecutiveError: 0, consecutivePass: 0,
  firstFailAt: null, lastFailAt: null, lastEvidenceAt: null, latestVerdictIgnoringInconclusive: null,
};
