/**
 * How fast and how falsely canary policies roll back, simulated over the pure decision functions
 * (no Temporal, a simulated clock, one check a minute):
 * - ours: classifyCheck → recordCheck → decide → applyDecision exactly as workflows/canaryRollout.ts
 *   calls them (the errors- and latency-vs-champion tests included, the latency threshold being the
 *   champion's p99 of the previous check), with the schema's defaults;
 * - Flagger-style: roll back after 5 checks in a row with an error rate above 1%;
 * - Argo-style: a check fails on an error rate above 1% or a p99 above the bound; roll back when
 *   failures exceed failureLimit 3.
 *
 *   npx tsx bench/canary-detection.ts [--rollouts 1000] [--no-write]
 *
 * All three walk the schema's default steps (5/25/50/100%, 15 minutes each): a rollout is promoted
 * after the last step, so every A/A rollout gets four steps' worth of chances to roll back falsely.
 * Per check: request counts Poisson (normal approximation, λ ≥ 347), errors and slow requests
 * Binomial (exact inversion up to n·p = 100, normal beyond), latencies log-normal. A version's p99
 * is the nearest-rank p99 of its n latencies, drawn exactly: the k-th smallest of n uniforms is
 * Beta(k, n + 1 − k), pushed through the log-normal quantile. The p99 and the slow count of one
 * version in one interval are drawn independently (each from its exact marginal).
 * The table is appended to docs/benchmarks.md.
 */
import { appendFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { classifyCheck } from '../src/canary/check.js';
import { applyDecision, decide, decideWhileStopped, initialState, recordCheck, startStep, stepWindowMs } from '../src/canary/decide.js';
import type { CanaryAnalysisState } from '../src/canary/analysis-state.js';
import { mulberry32 } from '../src/data/seeded-random.js';
import type { VersionStats } from '../src/serving/gateway-contract.js';
import { durationToMs } from '../src/spec/duration.js';
import { CanarySection } from '../src/spec/schema.js';

const args = process.argv.slice(2);
const ROLLOUTS = Number(args[args.indexOf('--rollouts') + 1] || 1000) || 1000;
const WRITE = !args.includes('--no-write');

const REQUESTS_PER_MINUTE = 10_000_000 / 1440;
const BASE_ERROR = 0.001;
const MEDIAN_MS = 80;
/** σ of log-latency such that the champion's p99 is 200 ms. */
const SIGMA = Math.log(200 / MEDIAN_MS) / 2.3263478740408408;
const SLA_P99_MS = 500;
const SLA_ERROR = 0.01;
const CAP_MINUTES = 120;

const section = CanarySection.parse({ slaWindow: '15m', interval: '1m', metricsWindow: '1m', sla: { errorRate: { max: SLA_ERROR }, latencyP99Ms: { max: SLA_P99_MS } } });
const INTERVAL_MS = durationToMs(section.interval);
const STEP_MINUTES = section.steps.map((_, i) => stepWindowMs(section, i) / INTERVAL_MS);
const ROLLOUT_MINUTES = STEP_MINUTES.reduce((a, b) => a + b, 0);

interface Scenario {
  name: string;
  regression: boolean;
  /** The canary's error rate and latency factor over minute `t` (1-based, since the canary started). */
  canary(t: number): { errorRate: number; latencyFactor: number };
}

const scenarios: Scenario[] = [
  { name: 'A/A (no regression)', regression: false, canary: () => ({ errorRate: BASE_ERROR, latencyFactor: 1 }) },
  { name: 'errors 0.1% → 0.2%', regression: true, canary: () => ({ errorRate: 0.002, latencyFactor: 1 }) },
  { name: 'errors 0.1% → 0.5%', regression: true, canary: () => ({ errorRate: 0.005, latencyFactor: 1 }) },
  { name: 'p99 +20% (240 ms)', regression: true, canary: () => ({ errorRate: BASE_ERROR, latencyFactor: 1.2 }) },
  { name: 'p99 +50% (300 ms)', regression: true, canary: () => ({ errorRate: BASE_ERROR, latencyFactor: 1.5 }) },
  // 5% errors for 3 minutes, baseline for 2, repeating from the canary's start: faulty 60% of the time.
  { name: 'flapping: 5% errors 3 min on / 2 off', regression: true, canary: (t) => ({ errorRate: (t - 1) % 5 < 3 ? 0.05 : BASE_ERROR, latencyFactor: 1 }) },
];

// ---- sampling -----------------------------------------------------------------------------------

type Random = () => number;

function normal(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function poisson(random: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(random)));
  let k = 0;
  let p = Math.exp(-mean);
  let cumulative = p;
  const u = random();
  while (u > cumulative && k < 1000) {
    p *= mean / ++k;
    cumulative += p;
  }
  return k;
}

function binomial(random: Random, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - binomial(random, n, 1 - p);
  if (n * p > 100) return Math.min(n, Math.max(0, Math.round(n * p + Math.sqrt(n * p * (1 - p)) * normal(random))));
  // Inversion: walk the pmf from 0 (q^n does not underflow while n·p ≤ 100 and p ≤ 0.5).
  const ratio = p / (1 - p);
  let pmf = Math.pow(1 - p, n);
  let cumulative = pmf;
  let k = 0;
  const u = random();
  while (u > cumulative && k < n) {
    pmf *= (ratio * (n - k)) / (k + 1);
    cumulative += pmf;
    k++;
  }
  return k;
}

/** Gamma(shape ≥ 1), Marsaglia & Tsang. */
function gamma(random: Random, shape: number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

function phi(z: number): number {
  // erfc by Numerical Recipes' Chebyshev fit (|ε| < 1.2e-7), enough for a share of slow requests.
  const x = -z / Math.SQRT2;
  const a = Math.abs(x);
  const t = 1 / (1 + a / 2);
  const r = t * Math.exp(-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return 0.5 * (x >= 0 ? r : 2 - r);
}

/** Φ⁻¹, Acklam's rational approximation (|ε| < 1.2e-9). */
function phiInverse(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - 0.02425) return -phiInverse(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** The nearest-rank p99 of n log-normal latencies. */
function sampledP99(random: Random, n: number, factor: number): number {
  const k = Math.ceil(0.99 * n);
  const g = gamma(random, k);
  const level = g / (g + gamma(random, n + 1 - k));
  return factor * MEDIAN_MS * Math.exp(SIGMA * phiInverse(Math.min(1 - 1e-12, Math.max(1e-12, level))));
}

const slowerShare = (thresholdMs: number, factor: number) => 1 - phi(Math.log(thresholdMs / (factor * MEDIAN_MS)) / SIGMA);

// ---- one interval's gateway numbers -------------------------------------------------------------

interface Minute {
  canary: VersionStats;
  champion: VersionStats;
}

function minuteOf(random: Random, scenario: Scenario, t: number, weight: number, slowerThanMs: number | null): Minute {
  const { errorRate, latencyFactor } = scenario.canary(t);
  const side = (version: number, share: number, rate: number, factor: number): VersionStats => {
    const requests = poisson(random, REQUESTS_PER_MINUTE * share);
    const errors = binomial(random, requests, rate);
    return {
      version, requests, errors, errorRate: requests ? errors / requests : null,
      latencyP50Ms: requests ? factor * MEDIAN_MS : null, latencyP99Ms: requests ? sampledP99(random, requests, factor) : null,
      meanScore: null, labeled: 0, correct: 0, accuracy: null,
      ...(slowerThanMs !== null ? { slowerThan: { thresholdMs: slowerThanMs, requests: binomial(random, requests, slowerShare(slowerThanMs, factor)) } } : {}),
    };
  };
  return { canary: side(2, weight / 100, errorRate, latencyFactor), champion: side(1, 1 - weight / 100, BASE_ERROR, 1) };
}

// ---- policies -----------------------------------------------------------------------------------

type Outcome = { result: 'rolled-back'; minute: number; cause: string } | { result: 'promoted' | 'held' | 'capped' };

function classify(state: CanaryAnalysisState, minute: Minute) {
  return classifyCheck({
    canary: minute.canary, champion: minute.champion, sla: section.sla, hardLimits: section.hardLimits,
    errorRateTest: section.errorRateTest, latencyTest: section.latencyTest, canaryWeight: state.weight,
    stepEvidence: state.evidence, stepLatencyEvidence: state.latencyEvidence,
  });
}

function causeOf(state: CanaryAnalysisState, reason: string): string {
  const step = `step ${state.stepIndex + 1} (${state.weight}%)`;
  if (reason.startsWith('decisive')) return `${reason.includes('latency vs champion') ? 'latency test' : 'errors test'} at ${step}`;
  return `${reason.split(/[:(]/)[0]!.replace(/ in the .*/, '').trim()} at ${step}`;
}

function ours(random: Random, scenario: Scenario): Outcome {
  let state = startStep(initialState(), 0, section.steps[0]!.weight, 0, stepWindowMs(section, 0));
  for (let t = 1; t <= CAP_MINUTES; t++) {
    const now = t * INTERVAL_MS;
    // As measure() does: the slow-request threshold is the champion's p99 of the previous check.
    const minute = minuteOf(random, scenario, t, state.weight, state.latencyThresholdMs ?? null);
    state = recordCheck(state, classify(state, minute), now);
    const decision = decide(state, now, section);
    state = applyDecision(state, decision, now);
    if (decision.action === 'rollback') return { result: 'rolled-back', minute: t, cause: causeOf(state, decision.reason) };
    if (decision.action === 'advance') {
      const next = state.stepIndex + 1;
      if (next >= section.steps.length) return { result: 'promoted' };
      state = startStep(state, next, section.steps[next]!.weight, now, stepWindowMs(section, next));
    }
    if (decision.action === 'hold') {
      // Nobody approves in a simulation: only a hard limit or the fail-safe can still end it.
      let errors = 0;
      for (let u = t + 1; u <= CAP_MINUTES; u++) {
        const stopped = decideWhileStopped(classify(state, minuteOf(random, scenario, u, state.weight, state.latencyThresholdMs ?? null)), errors, section);
        errors = stopped.consecutiveErrors;
        if (stopped.decision.action === 'rollback') return { result: 'rolled-back', minute: u, cause: causeOf(state, stopped.decision.reason) };
      }
      return { result: 'held' };
    }
  }
  return { result: 'capped' };
}

const weightAt = (t: number) => {
  let end = 0;
  for (const [i, minutes] of STEP_MINUTES.entries()) if (t <= (end += minutes)) return section.steps[i]!.weight;
  return 100;
};

/** A threshold rule over one analysis run spanning the whole rollout (the steps' schedule unchanged). */
function thresholdRule(fails: (m: Minute) => boolean, rollsBack: (failed: number, inARow: number) => boolean) {
  return (random: Random, scenario: Scenario): Outcome => {
    let failed = 0;
    let inARow = 0;
    for (let t = 1; t <= ROLLOUT_MINUTES; t++) {
      const bad = fails(minuteOf(random, scenario, t, weightAt(t), null));
      failed += bad ? 1 : 0;
      inARow = bad ? inARow + 1 : 0;
      if (rollsBack(failed, inARow)) return { result: 'rolled-back', minute: t, cause: '' };
    }
    return { result: 'promoted' };
  };
}

const errorRateOver = ({ canary }: Minute) => canary.requests > 0 && canary.errors / canary.requests > SLA_ERROR;
const policies = [
  { name: 'ours (defaults)', run: ours },
  { name: 'Flagger-style: errors > 1% in 5 checks in a row', run: thresholdRule(errorRateOver, (_, inARow) => inARow >= 5) },
  { name: 'Argo-style: failureLimit 3 (errors or p99)', run: thresholdRule((m) => errorRateOver(m) || (m.canary.latencyP99Ms ?? 0) > SLA_P99_MS, (failed) => failed > 3) },
];

// ---- run ----------------------------------------------------------------------------------------

const quantile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : null);

interface Cell {
  scenario: Scenario;
  policy: string;
  rollback: number;
  within15: number;
  promoted: number;
  other: number;
  median: number | null;
  p90: number | null;
  causes: Map<string, number>;
}

const started = performance.now();
const cells: Cell[] = [];
scenarios.forEach((scenario, s) => {
  policies.forEach((policy, p) => {
    const random = mulberry32(20261203 + 1000 * s + p);
    const minutes: number[] = [];
    const causes = new Map<string, number>();
    let promoted = 0;
    for (let i = 0; i < ROLLOUTS; i++) {
      const outcome = policy.run(random, scenario);
      if (outcome.result === 'rolled-back') {
        minutes.push(outcome.minute);
        if (outcome.cause) causes.set(outcome.cause, (causes.get(outcome.cause) ?? 0) + 1);
      } else if (outcome.result === 'promoted') promoted++;
    }
    minutes.sort((a, b) => a - b);
    cells.push({
      scenario, policy: policy.name, rollback: minutes.length / ROLLOUTS, within15: minutes.filter((m) => m <= 15).length / ROLLOUTS,
      promoted: promoted / ROLLOUTS, other: (ROLLOUTS - minutes.length - promoted) / ROLLOUTS,
      median: quantile(minutes, 0.5), p90: quantile(minutes, 0.9), causes,
    });
  });
});
const seconds = (performance.now() - started) / 1000;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const show = (x: number | null) => (x === null ? '—' : `${x}`);
const cellOf = (s: Scenario, policy: string) => cells.find((c) => c.scenario === s && c.policy === policy)!;
const [aa, , errors05] = scenarios as [Scenario, Scenario, Scenario];
const [oursName, ...others] = policies.map((p) => p.name) as [string, ...string[]];
const ourAA = cellOf(aa, oursName);
const our05 = cellOf(errors05, oursName);

/**
 * Faster: at a false-rollback rate no higher than theirs, in every regression ours rolls back at
 * least as often and, where both roll back in most rollouts, no later at the median.
 */
function comparison(other: string): string {
  const gaps: string[] = [];
  const theirAA = cellOf(aa, other);
  if (ourAA.rollback > theirAA.rollback) gaps.push(`false rollbacks ${pct(ourAA.rollback)} > ${pct(theirAA.rollback)}`);
  for (const s of scenarios.filter((x) => x.regression)) {
    const mine = cellOf(s, oursName);
    const theirs = cellOf(s, other);
    if (mine.rollback < theirs.rollback) gaps.push(`${s.name}: caught ${pct(mine.rollback)} < ${pct(theirs.rollback)}`);
    else if (mine.rollback >= 0.5 && theirs.rollback >= 0.5 && mine.median! > theirs.median!) gaps.push(`${s.name}: median ${mine.median} > ${theirs.median} min`);
  }
  return `- faster than ${other} at an equal or lower false-rollback rate: ${gaps.length === 0 ? 'met' : `NOT met (${gaps.join('; ')})`}`;
}

const rows = cells.map((c) =>
  `| ${c.scenario.name} | ${c.policy} | ${c.scenario.regression ? pct(c.rollback) : `**${pct(c.rollback)}** false`} | ${pct(c.within15)} | ${show(c.median)} | ${show(c.p90)} | ${pct(c.promoted)} | ${pct(c.other)} |`);
const causeLines = scenarios.map((s) => {
  const { causes } = cellOf(s, oursName);
  const listed = [...causes.entries()].sort((a, b) => b[1] - a[1]).map(([cause, n]) => `${cause}: ${n}`).join(', ');
  return `- ${s.name}: ${listed || 'none'}`;
});
const cpus = os.cpus();
const text = [
  '## Canary detection (simulation)',
  '',
  `\`npx tsx bench/canary-detection.ts\` — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus[0]?.model ?? 'cpu'} × ${cpus.length} cores, ` +
    `load average ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')}; ${ROLLOUTS} simulated rollouts per cell, ${seconds.toFixed(1)} s in all.`,
  '',
  `Parameters: 10M requests/day (≈ ${Math.round(REQUESTS_PER_MINUTE)} a minute); the schema's default steps ${section.steps.map((x) => `${x.weight}%`).join(' / ')}` +
    ` (≈ ${Math.round(REQUESTS_PER_MINUTE * 0.05)} canary requests a minute at 5%), a ${section.slaWindow} window per step, interval ${section.interval}, metricsWindow ${section.metricsWindow};` +
    ` every other setting the schema's default (minSamples ${section.sla.minSamples}, hard limit ${section.hardLimits.errorRate.max}, maxFailureShare ${section.maxFailureShare},` +
    ` errors and latency tests on at alpha ${section.errorRateTest.alpha}/${section.latencyTest.alpha}, onInsufficientEvidence ${section.onInsufficientEvidence}).` +
    ` SLA: errors ≤ ${SLA_ERROR * 100}%, p99 ≤ ${SLA_P99_MS} ms. Baseline: errors ${BASE_ERROR * 100}%, log-normal latency (median ${MEDIAN_MS} ms, σ ${SIGMA.toFixed(3)}, p99 200 ms).` +
    ` The threshold rules walk the same steps as one analysis run and promote after ${ROLLOUT_MINUTES} minutes; ours runs until promoted, rolled back or ${CAP_MINUTES} minutes.` +
    ' Times are minutes from the canary\'s start, among rolled-back rollouts. Seeded (mulberry32): reruns give the same numbers.',
  '',
  '| scenario | policy | rolled back | within 15 min | median | p90 | promoted | held / capped |',
  '|---|---|---:|---:|---:|---:|---:|---:|',
  ...rows,
  '',
  'Goals:',
  `- ≤ 1% false rollbacks under A/A (ours): ${pct(ourAA.rollback)} — ${ourAA.rollback <= 0.01 ? 'met' : 'NOT met'}`,
  `- 0.1% → 0.5% caught within 15 minutes in ≥ 90% of rollouts (ours): ${pct(our05.within15)} — ${our05.within15 >= 0.9 ? 'met' : 'NOT met'}`,
  ...others.map(comparison),
  '',
  'What rolled ours back (rule, step; counts out of each scenario\'s rollouts):',
  ...causeLines,
  '',
  'Left out: metrics gaps (error checks, the fail-safe), the gateway histogram\'s 1% latency resolution, any change in the' +
    ' champion; request counts are normal approximations of Poisson, and a version\'s p99 and slow count in one interval are' +
    ' drawn independently. The threshold rules cannot see the p99 scenarios: 240 and 300 ms are under the 500 ms bound.',
  '',
].join('\n');
console.log(text);
if (WRITE) await appendFile(path.join(import.meta.dirname, '..', 'docs', 'benchmarks.md'), `\n${text}`);
