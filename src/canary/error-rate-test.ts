/**
 * Does the canary err more than the champion? The anytime-valid count test of Lindon & Malek
 * ("Anytime-Valid Inference for Multinomial Count Data", NeurIPS 2022), for two versions.
 *
 * Conditional on n = canary errors + champion errors, and if both versions err at the same rate
 * per request (H0), the canary's errors are Bin(n, ρ) with ρ its share of the requests. Against a
 * Beta(a, b) mixture over that share, the Bayes factor is
 *   BF = [B(a + Nc, b + Ns) / B(a, b)] / [ρ^Nc (1 − ρ)^Ns],
 * a test martingale under H0: P(BF ever reaches 1/α) ≤ α, however often one looks.
 *
 * Choices:
 * - ρ is the configured split (the gateway draws each request's version with that probability):
 *   the multinomial setting assumes known assignment probabilities, and a ρ re-estimated from the
 *   data at every look would not keep the guarantee. When the observed split contradicts the
 *   configured one (|z| > 5 on the request counts: sticky routing keys, a router that rounds),
 *   the test is not run at all (compareErrorRates returns null), rather than blame the canary for its traffic.
 *   Without a configured split (a direct call), ρ is the observed one.
 * - The prior is centred on ρ: a = κρ, b = κ(1 − ρ) with κ = 100 (prior sd of the share ≈ 0.1·√ρ,
 *   so it weighs alternatives of a few tens of percent up to a few times the champion's rate,
 *   which is what a bad canary looks like). A uniform Beta(1, 1) spends most of its mass on shares
 *   like 0.5 at ρ = 0.05 (a canary erring 19 times more) and reaches 1/α later (at 5% of
 *   1,000 req/s, 0.2% vs 0.1%: BF 28 against 9.4 after 5 minutes).
 *   With κ = 100 the textbook example (15 min at 5% of 100 req/s, 0.2% vs 0.1%) gives BF ≈ 1.4.
 * - The test is two-sided; the caller only fails the canary when it also errs more (one-sided).
 */
import { logBeta } from './log-gamma.js';

/** Errors and requests of both versions over the same stretch of time. */
export interface ErrorCounts {
  canaryRequests: number;
  canaryErrors: number;
  championRequests: number;
  championErrors: number;
}

export const DEFAULT_PRIOR_CONCENTRATION = 100;

export interface ErrorRateComparison {
  /** ρ: the canary's share of the requests. */
  canaryShare: number;
  canaryErrorRate: number;
  championErrorRate: number;
  logBayesFactor: number;
  /** exp(logBayesFactor), capped at Number.MAX_VALUE so it stays JSON. */
  bayesFactor: number;
}

/** ln BF for Nc canary errors, Ns champion errors, canary share ρ and a Beta(a, b) mixture. */
export function logBayesFactor(canaryErrors: number, championErrors: number, canaryShare: number, a: number, b: number): number {
  return (
    logBeta(a + canaryErrors, b + championErrors) -
    logBeta(a, b) -
    canaryErrors * Math.log(canaryShare) -
    championErrors * Math.log1p(-canaryShare)
  );
}

/** |z| of the observed request split against the configured one beyond which the split is not trusted. */
export const SPLIT_MISMATCH_Z = 5;

/** The observed split's z-score against the configured share `w` (binomial on the request counts). */
export function splitZ(counts: ErrorCounts, w: number): number {
  const n = counts.canaryRequests + counts.championRequests;
  return (counts.canaryRequests - n * w) / Math.sqrt(n * w * (1 - w));
}

/**
 * null when either version served no requests (there is no split to test against), or when the
 * observed split contradicts `configuredShare` (|z| > SPLIT_MISMATCH_Z).
 */
export function compareErrorRates(counts: ErrorCounts, priorConcentration = DEFAULT_PRIOR_CONCENTRATION, configuredShare?: number): ErrorRateComparison | null {
  const { canaryRequests, canaryErrors, championRequests, championErrors } = counts;
  if (!(canaryRequests > 0 && championRequests > 0)) return null;
  const configured = configuredShare !== undefined && configuredShare > 0 && configuredShare < 1 ? configuredShare : undefined;
  if (configured !== undefined && Math.abs(splitZ(counts, configured)) > SPLIT_MISMATCH_Z) return null;
  const canaryShare = configured ?? canaryRequests / (canaryRequests + championRequests);
  const a = priorConcentration * canaryShare;
  const b = priorConcentration * (1 - canaryShare);
  const logFactor = logBayesFactor(canaryErrors, championErrors, canaryShare, a, b);
  return {
    canaryShare,
    canaryErrorRate: canaryErrors / canaryRequests,
    championErrorRate: championErrors / championRequests,
    logBayesFactor: logFactor,
    bayesFactor: Math.min(Math.exp(logFactor), Number.MAX_VALUE),
  };
}

export function addErrorCounts(first: ErrorCounts, second: ErrorCounts): ErrorCounts {
  return {
    canaryRequests: first.canaryRequests + second.canaryRequests,
    canaryErrors: first.canaryErrors + second.canaryErrors,
    championRequests: first.championRequests + second.championRequests,
    championErrors: first.championErrors + second.championErrors,
  };
}

export const NO_ERROR_COUNTS: ErrorCounts = { canaryRequests: 0, canaryErrors: 0, championRequests: 0, championErrors: 0 };
