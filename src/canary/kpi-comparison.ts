/**
 * Is the challenger's business KPI (clicks, revenue per request) lower than the champion's?
 * An anytime-valid confidence sequence for the ratio of the two means, valid however often it is
 * looked at (every canary check, every refresh of an experiment's report).
 *
 * Construction. Requests are split at random, a share ρ to the challenger (the configured split).
 * For a ratio r, each KPI report i (value Y, version Z) gives the pseudo-outcome
 *   ψ_i(r) = Z·Y/ρ − r·(1 − Z)·Y/(1 − ρ),
 * i.i.d. over reports with mean μ_challenger − r·μ_champion (inverse-propensity weighting, as in
 * Waudby-Smith et al., "Time-uniform central limit theory and asymptotic confidence sequences",
 * Ann. Statist. 2024, §3 on randomised experiments). Their Theorem 2.2 (the Gaussian mixture
 * boundary of Howard et al. 2021, the continuous analogue of the Beta mixture behind the error
 * rate test) gives the asymptotic confidence sequence
 *   mean(ψ) ± sd(ψ) · sqrt( 2(nη² + 1)/(n²η²) · ln(√(nη² + 1)/α) ),
 * with η tuned to be tightest at TUNED_FOR_REPORTS reports. The set of ratios r whose sequence
 * contains 0 is a confidence sequence for μ_challenger/μ_champion (Fieller's inversion: a
 * quadratic in r). r = 1 gives the plain difference.
 *
 * Choices:
 * - A KPI's mean is over the requests that reported it: report 0 explicitly for a request without
 *   a click, or clicks per request become clicks per clicking request.
 * - ρ is the configured split, as in the error rate test. When the observed share of reports
 *   contradicts it (|z| > 5: sticky routing keys with few users, a version that loses feedback),
 *   the comparison is withheld and says so: a sample ratio mismatch makes any difference suspect.
 * - The guarantee is asymptotic (a CLT in time): with fewer than MIN_REPORTS_PER_VERSION reports on
 *   either side nothing is concluded.
 * - With sticky routing the unit of randomisation is the user, not the report; reports of one user
 *   are correlated and the sequence is then narrower than it should be. Documented, not corrected.
 */
import { formatNumber } from '../evaluate/format-number.js';
import type { KpiSums } from '../serving/gateway-contract.js';
import { SPLIT_MISMATCH_Z } from './error-rate-test.js';

export type { KpiSums };

export const NO_KPI_SUMS: KpiSums = { count: 0, sum: 0, sumSquares: 0 };
export const MIN_REPORTS_PER_VERSION = 30;
/** η of the Gaussian mixture is chosen so the sequence is tightest after this many reports. */
export const TUNED_FOR_REPORTS = 10_000;

export function addKpiSums(a: KpiSums, b: KpiSums): KpiSums {
  return { count: a.count + b.count, sum: a.sum + b.sum, sumSquares: a.sumSquares + b.sumSquares };
}

/** Both versions' sums per KPI name (a check's, or a step's so far). */
export type KpiEvidence = Record<string, { canary: KpiSums; champion: KpiSums }>;

/** The named KPIs of one check (zeros where a version reported none). */
export function kpiEvidenceOf(canary: { kpis?: Record<string, KpiSums> } | undefined, champion: { kpis?: Record<string, KpiSums> } | undefined, names: readonly string[]): KpiEvidence {
  return Object.fromEntries(names.map((name) => [name, { canary: canary?.kpis?.[name] ?? NO_KPI_SUMS, champion: champion?.kpis?.[name] ?? NO_KPI_SUMS }]));
}

export function addKpiEvidence(a: KpiEvidence | undefined, b: KpiEvidence | undefined): KpiEvidence {
  const total: KpiEvidence = { ...a };
  for (const [name, sums] of Object.entries(b ?? {})) {
    const before = total[name];
    total[name] = before ? { canary: addKpiSums(before.canary, sums.canary), champion: addKpiSums(before.champion, sums.champion) } : sums;
  }
  return total;
}

export interface KpiComparison {
  kpi: string;
  challenger: { reports: number; mean: number | null };
  champion: { reports: number; mean: number | null };
  /** ρ used: the configured challenger share. */
  share: number;
  alpha: number;
  /** challenger mean − champion mean, with its confidence sequence; null bounds while withheld. */
  difference: number | null;
  differenceInterval: [number, number] | null;
  /** challenger mean / champion mean − 1, with its confidence sequence (Fieller); a null bound is open (±∞, kept JSON-safe). */
  relativeDifference: number | null;
  relativeInterval: [number | null, number | null] | null;
  /** Why no interval is given (too few reports, a sample ratio mismatch), else null. */
  withheld: string | null;
}

/** W such that the sequence is mean ± sd·√W after n reports (the boundary above, squared). */
export function boundarySquared(n: number, alpha: number, tunedFor = TUNED_FOR_REPORTS): number {
  const eta2 = (-2 * Math.log(alpha) + Math.log(-2 * Math.log(alpha) + 1)) / tunedFor;
  const v = n * eta2 + 1;
  return ((2 * v) / (n * n * eta2)) * Math.log(Math.sqrt(v) / alpha);
}

/**
 * The moments of ψ(r) as functions of r: mean a − r·b, second moment c + r²·d (per report).
 * Pure algebra over the sums of both versions.
 */
function pseudoOutcomeMoments(challenger: KpiSums, champion: KpiSums, share: number) {
  const n = challenger.count + champion.count;
  return {
    n,
    a: challenger.sum / share / n,
    b: champion.sum / (1 - share) / n,
    c: challenger.sumSquares / (share * share) / n,
    d: champion.sumSquares / ((1 - share) * (1 - share)) / n,
  };
}

/** The observed share of reports against the configured one, as a z-score. */
export function reportShareZ(challenger: KpiSums, champion: KpiSums, share: number): number {
  const n = challenger.count + champion.count;
  return (challenger.count - n * share) / Math.sqrt(n * share * (1 - share));
}

export function compareKpi(kpi: string, challenger: KpiSums, champion: KpiSums, share: number, alpha: number): KpiComparison {
  const meanOf = (s: KpiSums) => (s.count > 0 ? s.sum / s.count : null);
  const base: KpiComparison = {
    kpi, share, alpha,
    challenger: { reports: challenger.count, mean: meanOf(challenger) },
    champion: { reports: champion.count, mean: meanOf(champion) },
    difference: null, differenceInterval: null, relativeDifference: null, relativeInterval: null, withheld: null,
  };
  const withheld = withheldBecause(challenger, champion, share);
  if (withheld) return { ...base, withheld };
  const { n, a, b, c, d } = pseudoOutcomeMoments(challenger, champion, share);
  const w = boundarySquared(n, alpha);
  const difference = base.challenger.mean! - base.champion.mean!;
  // ψ(1)'s mean estimates the difference too (up to the random split), and its sd sets the width.
  const radius = Math.sqrt(Math.max(0, c + d - (a - b) ** 2) * w);
  const ratio = ratioInterval(a, b, c, d, w);
  return {
    ...base,
    difference,
    differenceInterval: [a - b - radius, a - b + radius],
    relativeDifference: base.champion.mean !== 0 ? base.challenger.mean! / base.champion.mean! - 1 : null,
    relativeInterval: ratio ? [Number.isFinite(ratio[0]) ? ratio[0] - 1 : null, Number.isFinite(ratio[1]) ? ratio[1] - 1 : null] : null,
  };
}

function withheldBecause(challenger: KpiSums, champion: KpiSums, share: number): string | null {
  if (!(share > 0 && share < 1)) return `no split to compare (challenger share ${share})`;
  if (challenger.count < MIN_REPORTS_PER_VERSION || champion.count < MIN_REPORTS_PER_VERSION) {
    return `too few reports (${challenger.count} challenger, ${champion.count} champion; at least ${MIN_REPORTS_PER_VERSION} each)`;
  }
  const z = reportShareZ(challenger, champion, share);
  if (Math.abs(z) > SPLIT_MISMATCH_Z) {
    const observed = challenger.count / (challenger.count + champion.count);
    return `sample ratio mismatch: the challenger has ${formatNumber(observed * 100, 3)}% of the reports, the split gives it ${formatNumber(share * 100, 3)}% (z ${formatNumber(z, 3)})`;
  }
  return null;
}

/**
 * {r : (a − rb)² ≤ W·Var ψ(r)} with Var ψ(r) = c + r²d − (a − rb)²: (1 + W)(a − rb)² − W(c + r²d) ≤ 0.
 * Bounded when the champion's mean is clearly away from 0 (the r² coefficient is positive); an
 * open side is ±Infinity. null when no ratio is compatible (degenerate data).
 */
function ratioInterval(a: number, b: number, c: number, d: number, w: number): [number, number] | null {
  const qa = (1 + w) * b * b - w * d;
  const qb = -2 * (1 + w) * a * b;
  const qc = (1 + w) * a * a - w * c;
  const disc = qb * qb - 4 * qa * qc;
  if (qa > 0) {
    if (disc < 0) return null;
    const root = Math.sqrt(disc);
    return [(-qb - root) / (2 * qa), (-qb + root) / (2 * qa)];
  }
  // The champion's mean is not clearly non-zero: the set is unbounded on at least one side.
  return [-Infinity, Infinity];
}

/**
 * The canary SLA `sla.kpis.<kpi>.maxRelativeDrop: δ`: decisive against the canary when the ratio
 * r0 = 1 − δ is rejected from below, i.e. the whole sequence for the ratio lies under 1 − δ.
 */
export function kpiDropIsDecisive(challenger: KpiSums, champion: KpiSums, share: number, alpha: number, maxRelativeDrop: number): boolean {
  return ratioIsRejected(challenger, champion, share, alpha, 1 - maxRelativeDrop, 'below');
}

/**
 * `sla.kpis.<kpi>.maxRelativeRise: δ`, for a KPI where lower is better (refunds, complaints):
 * decisive when the whole sequence for the ratio lies above 1 + δ.
 */
export function kpiRiseIsDecisive(challenger: KpiSums, champion: KpiSums, share: number, alpha: number, maxRelativeRise: number): boolean {
  return ratioIsRejected(challenger, champion, share, alpha, 1 + maxRelativeRise, 'above');
}

/**
 * Is the ratio r0 outside the sequence, with the whole sequence on `side` of it? Tested on the
 * contrast ψ(r0) directly, so it holds even when the ratio interval is open.
 */
function ratioIsRejected(challenger: KpiSums, champion: KpiSums, share: number, alpha: number, r0: number, side: 'below' | 'above'): boolean {
  if (withheldBecause(challenger, champion, share)) return false;
  // A bound relative to the champion needs its mean positive: with a negative one, "20% lower"
  // flips direction (−12 is below −10 × 1.1 yet better for a lower-is-better KPI).
  if (!(champion.sum > 0)) return false;
  const { n, a, b, c, d } = pseudoOutcomeMoments(challenger, champion, share);
  const mean = a - r0 * b;
  const variance = Math.max(0, c + r0 * r0 * d - mean * mean);
  return (side === 'below' ? mean < 0 : mean > 0) && mean * mean > boundarySquared(n, alpha) * variance;
}

/** `clicked: −28.4% [−35.1%, −21.2%] (0.143 vs 0.2; 3,012 vs 2,988 reports)`. */
export function describeKpiComparison(comparison: KpiComparison): string {
  const pct = (x: number | null, open = '∞') => (x === null ? open : `${x >= 0 ? '+' : '−'}${formatNumber(Math.abs(x) * 100, 3)}%`);
  const means = `${comparison.challenger.mean === null ? '–' : formatNumber(comparison.challenger.mean, 4)} vs ${comparison.champion.mean === null ? '–' : formatNumber(comparison.champion.mean, 4)}`;
  const reports = `${comparison.challenger.reports} vs ${comparison.champion.reports} reports`;
  if (comparison.withheld) return `${comparison.kpi}: ${means} (${reports}); no interval: ${comparison.withheld}`;
  const relative = comparison.relativeDifference === null ? 'relative difference undefined (champion mean 0)' : pct(comparison.relativeDifference);
  const interval = comparison.relativeInterval ? ` [${pct(comparison.relativeInterval[0], '−∞')}, ${pct(comparison.relativeInterval[1], '+∞')}]` : '';
  const [lo, hi] = comparison.differenceInterval!;
  return `${comparison.kpi}: ${relative}${interval} (${means}; difference ${formatNumber(comparison.difference!, 4)} [${formatNumber(lo, 4)}, ${formatNumber(hi, 4)}]; ${reports}; ${formatNumber((1 - comparison.alpha) * 100, 3)}% anytime-valid)`;
}
