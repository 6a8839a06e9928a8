/**
 * Is the canary slower than the champion? An absolute p99 bound cannot see a version that is 50%
 * slower but still under it. Each check counts, for both versions, the requests slower than a
 * threshold τ (the champion's p99 at the previous check: fixed before the check's data arrive).
 * If both versions have the same latency distribution (H0), a slow request is the canary's with
 * probability ρ, its share of the requests, whatever τ is — so the slow counts are tested exactly
 * as errors are, with the same anytime-valid Bayes factor (error-rate-test.ts), summed over the step.
 * "Slower" is read at the gateway histogram's 1% resolution, the same way for both versions.
 */
import type { VersionStats } from '../serving/gateway-contract.js';
import { formatNumber } from '../evaluate/format-number.js';
import { addErrorCounts, compareErrorRates, NO_ERROR_COUNTS, type ErrorCounts, type ErrorRateComparison } from './error-rate-test.js';

export interface LatencyTestConfig {
  enabled: boolean;
  alpha: number;
}

/** Slow requests of both versions in one check, when both were counted against the same threshold. */
export function slowCounts(canary: VersionStats, champion: VersionStats | undefined): (ErrorCounts & { thresholdMs: number }) | null {
  const a = canary.slowerThan;
  const b = champion?.slowerThan;
  if (!a || !b || !champion || a.thresholdMs !== b.thresholdMs || !(canary.requests > 0 && champion.requests > 0)) return null;
  if (!(a.requests >= 0 && a.requests <= canary.requests && b.requests >= 0 && b.requests <= champion.requests)) return null;
  return { thresholdMs: a.thresholdMs, canaryRequests: canary.requests, canaryErrors: a.requests, championRequests: champion.requests, championErrors: b.requests };
}

/** The step's slow counts so far plus this check's, compared. */
export function compareLatency(current: ErrorCounts | null, stepEvidence: ErrorCounts | undefined, configuredShare?: number): ErrorRateComparison | null {
  if (!current && !stepEvidence) return null;
  return compareErrorRates(addErrorCounts(stepEvidence ?? NO_ERROR_COUNTS, current ?? NO_ERROR_COUNTS), undefined, configuredShare);
}

/** A failing reason when the evidence that the canary is slower reaches 1/alpha; else none. */
export function latencyTestFailure(comparison: ErrorRateComparison | null, config: LatencyTestConfig | undefined, thresholdMs: number | null): string[] {
  if (!comparison || !config?.enabled) return [];
  const threshold = 1 / config.alpha;
  const slower = comparison.canaryErrorRate > comparison.championErrorRate;
  if (!(slower && comparison.logBayesFactor >= Math.log(threshold))) return [];
  const pct = (share: number) => `${formatNumber(share * 100, 3)}%`;
  return [
    `latency vs champion: Bayes factor ${formatNumber(comparison.bayesFactor, 3)} ≥ 1/alpha ${formatNumber(threshold)}` +
      ` (${pct(comparison.canaryErrorRate)} of canary requests vs ${pct(comparison.championErrorRate)} of the champion's slower than` +
      `${thresholdMs !== null ? ` ${formatNumber(thresholdMs, 4)} ms,` : ''} the champion's p99, over the step)`,
  ];
}
