/**
 * One analysis check: the canary's numbers over one metrics window → pass | fail | inconclusive |
 * error. Pure (it runs inside the workflow); the step decisions live in decide.ts.
 *
 * Rules, in order:
 * 1. No canary numbers (the metrics source failed) → error. Errors feed the fail-safe, not a failure.
 * 2. A hard limit crossed → fail with hardLimit, as soon as the canary served hardLimits.minRequests
 *    (default 10, or minSamples, if lower): with fewer, one or two errors read as a 20%+ error rate and one slow
 *    cold-start request as the p99. At 10 requests the default hard limit (0.2) needs 3 errors,
 *    which a canary erring at the SLA's 1% shows with probability ~1e-4 per check.
 * 3. Fewer than minSamples requests (and always at 0) → inconclusive: never fail on too little traffic.
 * 4. An SLA bound crossed (strictly: a value equal to its bound passes), or the errors-vs-champion
 *    or latency-vs-champion test decisive against the canary → fail. Accuracy is judged only from minSamples labels on.
 * 5. A p99 latency missing although requests arrived → error (the metrics are incomplete).
 * 6. Otherwise pass.
 *
 * Error rates come from the counts (errors / requests), the same numbers the Bayes factor uses.
 */
import type { VersionStats } from '../serving/gateway-contract.js';
import type { CanarySection } from '../spec/schema.js';
import { formatNumber, formatPair } from '../evaluate/format-number.js';
import { addErrorCounts, compareErrorRates, NO_ERROR_COUNTS, type ErrorCounts, type ErrorRateComparison } from './error-rate-test.js';
import { addKpiEvidence, compareKpi, describeKpiComparison, kpiDropIsDecisive, kpiRiseIsDecisive, kpiEvidenceOf, type KpiEvidence } from './kpi-comparison.js';
import { compareLatency, latencyTestFailure, slowCounts, type LatencyTestConfig } from './latency-test.js';

export type Verdict = 'pass' | 'fail' | 'inconclusive' | 'error';

export interface CheckNumbers {
  requests: number | null;
  errors: number | null;
  errorRate: number | null;
  latencyP99Ms: number | null;
  accuracy: number | null;
  labeled: number | null;
  championRequests: number | null;
  championErrors: number | null;
  championErrorRate: number | null;
  /** ρ of the errors-vs-champion test: the configured split (null when the observed one contradicts it). */
  canaryShare: number | null;
  /** Of the errors-vs-champion test, over the step so far (this check included). */
  bayesFactor: number | null;
  /** The champion's p99 in this check: the next check's latency threshold. */
  championLatencyP99Ms?: number | null;
  /** This check's requests slower than the threshold (latency-vs-champion test), both versions. */
  slow?: { thresholdMs: number; canary: number; champion: number } | null;
  /** Of the latency-vs-champion test, over the step so far (this check included). */
  latencyBayesFactor?: number | null;
  /** This check's sums of the KPIs the SLA bounds (sla.kpis), both versions. */
  kpis?: KpiEvidence;
}

export interface CheckResult {
  verdict: Verdict;
  /** A hard limit was crossed: roll back at once. Implies verdict 'fail'. */
  hardLimit: boolean;
  /**
   * An anytime-valid comparison with the champion (errors or latency) reached 1/alpha against the
   * canary: the evidence is decisive, and stopping at the first crossing keeps its error rate ≤ alpha.
   */
  decisive?: boolean;
  /** Why the verdict is not a plain pass, e.g. 'error rate 0.034 > max 0.01'. */
  reasons: string[];
  numbers: CheckNumbers;
}

export interface CheckInput {
  /** undefined: the metrics source did not answer. */
  canary: VersionStats | undefined;
  champion: VersionStats | undefined;
  /** Why the canary's numbers are missing (the metrics source's error), for the reason text. */
  unavailableReason?: string;
  sla: CanarySection['sla'];
  hardLimits: CanarySection['hardLimits'];
  /** priorConcentration: κ of the Beta(κρ, κ(1 − ρ)) mixture, default 100 (see error-rate-test.ts). */
  errorRateTest: CanarySection['errorRateTest'] & { priorConcentration?: number };
  /** Configured percent of traffic on the canary: ρ of the tests against the champion. */
  canaryWeight: number;
  /**
   * Counts of the step's earlier checks (CanaryAnalysisState.evidence). The Bayes factor is taken
   * over them plus this check, so it is the anytime-valid test over the whole step; without them it
   * only sees one metrics window, where a doubling of a 0.1% error rate is never decisive.
   */
  stepEvidence?: ErrorCounts;
  /** The latency-vs-champion test (latency-test.ts); off when absent. */
  latencyTest?: LatencyTestConfig;
  /** Slow counts of the step's earlier checks (CanaryAnalysisState.latencyEvidence). */
  stepLatencyEvidence?: ErrorCounts;
  /** KPI sums of the step's earlier checks (CanaryAnalysisState.kpiEvidence), for sla.kpis. */
  stepKpiEvidence?: KpiEvidence;
}

const NO_NUMBERS: CheckNumbers = {
  requests: null, errors: null, errorRate: null, latencyP99Ms: null, accuracy: null, labeled: null,
  championRequests: null, championErrors: null, championErrorRate: null, canaryShare: null, bayesFactor: null,
};

export function classifyCheck(input: CheckInput): CheckResult {
  const { canary, sla, hardLimits } = input;
  if (!canary) {
    const reason = input.unavailableReason ? `metrics unavailable: ${input.unavailableReason}` : 'metrics unavailable';
    return { verdict: 'error', hardLimit: false, reasons: [reason], numbers: NO_NUMBERS };
  }
  if (!isCount(canary.requests) || !isCount(canary.errors)) {
    return { verdict: 'error', hardLimit: false, reasons: [`metrics malformed: ${canary.requests} requests, ${canary.errors} errors`], numbers: NO_NUMBERS };
  }

  const comparison = input.errorRateTest.enabled ? compareWithChampion(input) : null;
  const slow = slowCounts(canary, input.champion);
  const latencyComparison = input.latencyTest?.enabled ? compareLatency(slow, input.stepLatencyEvidence, input.canaryWeight / 100) : null;
  const numbers: CheckNumbers = {
    ...checkNumbers(canary, input.champion, comparison),
    championLatencyP99Ms: finiteOrNull(input.champion?.latencyP99Ms),
    slow: slow ? { thresholdMs: slow.thresholdMs, canary: slow.canaryErrors, champion: slow.championErrors } : null,
    latencyBayesFactor: latencyComparison?.bayesFactor ?? null,
    ...(sla.kpis ? { kpis: kpiEvidenceOf(canary, input.champion, Object.keys(sla.kpis)) } : {}),
  };
  const minSamples = Math.max(sla.minSamples, 1);

  if (canary.requests >= Math.min(hardLimits.minRequests, minSamples)) {
    const hardReasons = [
      ...ceiling('error rate', numbers.errorRate, hardLimits.errorRate.max, 'hard limit'),
      ...ceiling('latency p99', numbers.latencyP99Ms, hardLimits.latencyP99Ms?.max, 'hard limit', ' ms'),
    ];
    if (hardReasons.length > 0) return { verdict: 'fail', hardLimit: true, reasons: hardReasons, numbers };
  }

  if (canary.requests < minSamples) {
    return { verdict: 'inconclusive', hardLimit: false, reasons: [`${formatNumber(canary.requests)} requests < minSamples ${sla.minSamples}`], numbers };
  }

  const versusChampion = [
    ...errorRateTestFailure(comparison, input),
    ...latencyTestFailure(latencyComparison, input.latencyTest, slow?.thresholdMs ?? null),
    ...kpiSlaFailures(input, numbers.kpis),
  ];
  const reasons = [
    ...ceiling('error rate', numbers.errorRate, sla.errorRate.max, 'max'),
    ...ceiling('latency p99', numbers.latencyP99Ms, sla.latencyP99Ms.max, 'max', ' ms'),
    ...accuracyFloor(numbers, sla.accuracy?.min, minSamples),
    ...versusChampion,
  ];
  if (reasons.length > 0) return { verdict: 'fail', hardLimit: false, ...(versusChampion.length > 0 ? { decisive: true } : {}), reasons, numbers };
  if (numbers.latencyP99Ms === null) {
    return { verdict: 'error', hardLimit: false, reasons: [`latency p99 missing for ${formatNumber(canary.requests)} requests`], numbers };
  }
  return { verdict: 'pass', hardLimit: false, reasons: [], numbers };
}

function isCount(value: number): boolean {
  return Number.isFinite(value) && value >= 0;
}

function finiteOrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The champion's counts of this check, when it has any. */
function championCounts(canary: VersionStats, champion: VersionStats | undefined): ErrorCounts | null {
  if (!champion || !isCount(champion.requests) || !isCount(champion.errors) || champion.requests === 0) return null;
  return { canaryRequests: canary.requests, canaryErrors: canary.errors, championRequests: champion.requests, championErrors: champion.errors };
}

function compareWithChampion(input: CheckInput): ErrorRateComparison | null {
  const current = input.canary ? championCounts(input.canary, input.champion) : null;
  const counts = addErrorCounts(input.stepEvidence ?? NO_ERROR_COUNTS, current ?? NO_ERROR_COUNTS);
  return compareErrorRates(counts, input.errorRateTest.priorConcentration, input.canaryWeight / 100);
}

function checkNumbers(canary: VersionStats, champion: VersionStats | undefined, comparison: ErrorRateComparison | null): CheckNumbers {
  const usableChampion = championCounts(canary, champion);
  const labeled = isCount(canary.labeled) ? canary.labeled : null;
  return {
    requests: canary.requests,
    errors: canary.errors,
    errorRate: canary.requests > 0 ? canary.errors / canary.requests : null,
    latencyP99Ms: canary.requests > 0 ? finiteOrNull(canary.latencyP99Ms) : null,
    accuracy: labeled !== null && labeled > 0 && isCount(canary.correct) ? canary.correct / labeled : null,
    labeled,
    championRequests: usableChampion?.championRequests ?? null,
    championErrors: usableChampion?.championErrors ?? null,
    championErrorRate: usableChampion ? usableChampion.championErrors / usableChampion.championRequests : null,
    canaryShare: comparison?.canaryShare ?? null,
    bayesFactor: comparison?.bayesFactor ?? null,
  };
}

function ceiling(what: string, value: number | null, max: number | undefined, bound: string, unit = ''): string[] {
  if (value === null || max === undefined || !(value > max)) return [];
  const [shown, limit] = formatPair(value, max);
  return [`${what} ${shown}${unit} > ${bound} ${limit}${unit}`];
}

function accuracyFloor(numbers: CheckNumbers, min: number | undefined, minLabels: number): string[] {
  const { accuracy, labeled } = numbers;
  if (min === undefined || accuracy === null || labeled === null || labeled < minLabels || !(accuracy < min)) return [];
  const [shown, limit] = formatPair(accuracy, min);
  return [`accuracy ${shown} < min ${limit} (${formatNumber(labeled)} labels)`];
}

/**
 * sla.kpis: a KPI whose ratio to the champion's is, over the step so far, decisively below
 * 1 − maxRelativeDrop (or above 1 + maxRelativeRise). ρ is the configured split, as for errors.
 */
function kpiSlaFailures(input: CheckInput, current: KpiEvidence | undefined): string[] {
  const bounds = input.sla.kpis;
  if (!bounds || !current) return [];
  const step = addKpiEvidence(input.stepKpiEvidence, current);
  const share = input.canaryWeight / 100;
  return Object.entries(bounds).flatMap(([name, bound]) => {
    const sums = step[name];
    if (!sums) return [];
    const breach = bound.maxRelativeRise !== undefined
      ? kpiRiseIsDecisive(sums.canary, sums.champion, share, bound.alpha, bound.maxRelativeRise) && `above the bound +${formatNumber(bound.maxRelativeRise * 100, 3)}%`
      : kpiDropIsDecisive(sums.canary, sums.champion, share, bound.alpha, bound.maxRelativeDrop ?? 0) && `below the bound −${formatNumber((bound.maxRelativeDrop ?? 0) * 100, 3)}%`;
    if (!breach) return [];
    const comparison = compareKpi(name, sums.canary, sums.champion, share, bound.alpha);
    return [`KPI ${describeKpiComparison(comparison)} vs champion: ${breach} over the step`];
  });
}

function errorRateTestFailure(comparison: ErrorRateComparison | null, input: CheckInput): string[] {
  if (!comparison) return [];
  const threshold = 1 / input.errorRateTest.alpha;
  const canaryErrsMore = comparison.canaryErrorRate > comparison.championErrorRate;
  if (!(canaryErrsMore && comparison.logBayesFactor >= Math.log(threshold))) return [];
  const [canaryRate, championRate] = formatPair(comparison.canaryErrorRate, comparison.championErrorRate);
  return [
    `errors vs champion: Bayes factor ${formatNumber(comparison.bayesFactor, 3)} ≥ 1/alpha ${formatNumber(threshold)}` +
      ` (error rate ${canaryRate} vs champion ${championRate} over the step;` +
      ` canary share ${formatNumber(comparison.canaryShare * 100, 3)}% of requests, the configured weight)`,
  ];
}
