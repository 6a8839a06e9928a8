import { describe, expect, it } from 'vitest';
import { classifyCheck, type CheckInput } from '../../../src/canary/check.js';
import type { VersionStats } from '../../../src/serving/gateway-contract.js';
import { CanarySection } from '../../../src/spec/schema.js';
import { scenarioNamed, type TrafficScenario } from './canary-fixtures.js';

/** The schema's defaults: sla error rate ≤ 0.01, p99 ≤ 200 ms, minSamples 50; hard error rate ≤ 0.2; alpha 0.01. */
const defaults = CanarySection.parse({});

function stats(overrides: Partial<VersionStats> = {}, version = 2): VersionStats {
  return {
    version, requests: 1000, errors: 0, errorRate: null, latencyP50Ms: 20, latencyP99Ms: 80,
    meanScore: 0.4, labeled: 0, correct: 0, accuracy: null, ...overrides,
  };
}

function input(canary: VersionStats | undefined, overrides: Partial<CheckInput> = {}): CheckInput {
  return {
    canary, champion: stats({ requests: 19_000, errors: 19 }, 1),
    sla: defaults.sla, hardLimits: defaults.hardLimits, errorRateTest: defaults.errorRateTest, canaryWeight: 5,
    ...overrides,
  };
}

describe('classifyCheck: verdicts on the canary alone', () => {
  it.each([
    // metrics
    { name: 'no metrics', canary: undefined, verdict: 'error', reasons: ['metrics unavailable'] },
    { name: 'malformed counts', canary: stats({ requests: Number.NaN }), verdict: 'error', reasons: ['metrics malformed: NaN requests, 0 errors'] },
    { name: 'traffic but no p99 latency', canary: stats({ latencyP99Ms: null }), verdict: 'error', reasons: ['latency p99 missing for 1000 requests'] },
    // too little traffic: never a failure below minSamples...
    { name: 'no traffic', canary: stats({ requests: 0, latencyP99Ms: null }), verdict: 'inconclusive', reasons: ['0 requests < minSamples 50'] },
    { name: '49 clean requests', canary: stats({ requests: 49 }), verdict: 'inconclusive', reasons: ['49 requests < minSamples 50'] },
    { name: '49 requests at 10% errors (over the SLA, under the hard limit)', canary: stats({ requests: 49, errors: 5, latencyP99Ms: 900 }), verdict: 'inconclusive', reasons: ['49 requests < minSamples 50'] },
    // ...except a hard limit, from hardLimits.minRequests requests on
    { name: '9 requests, all errors (under the hard-limit floor)', canary: stats({ requests: 9, errors: 9 }), verdict: 'inconclusive', reasons: ['9 requests < minSamples 50'] },
    { name: '10 requests, 3 errors', canary: stats({ requests: 10, errors: 3 }), verdict: 'fail', hardLimit: true, reasons: ['error rate 0.3 > hard limit 0.2'] },
    { name: '10 requests, 2 errors (at the hard limit, not over)', canary: stats({ requests: 10, errors: 2 }), verdict: 'inconclusive', reasons: ['10 requests < minSamples 50'] },
    { name: 'hard limit with plenty of traffic', canary: stats({ errors: 500 }), verdict: 'fail', hardLimit: true, reasons: ['error rate 0.5 > hard limit 0.2'] },
    // SLA bounds: strictly over fails, at the bound passes
    { name: 'error rate over the SLA', canary: stats({ errors: 34 }), verdict: 'fail', reasons: ['error rate 0.034 > max 0.01'] },
    { name: 'error rate at the SLA', canary: stats({ errors: 10 }), verdict: 'pass', reasons: [] },
    { name: 'error rate just over the SLA is told apart', canary: stats({ requests: 100_000, errors: 1001 }), verdict: 'fail', reasons: ['error rate 0.01001 > max 0.01'] },
    { name: 'slow p99', canary: stats({ latencyP99Ms: 250 }), verdict: 'fail', reasons: ['latency p99 250 ms > max 200 ms'] },
    { name: 'p99 at the SLA', canary: stats({ latencyP99Ms: 200 }), verdict: 'pass', reasons: [] },
    { name: 'errors and slow', canary: stats({ errors: 20, latencyP99Ms: 300 }), verdict: 'fail', reasons: ['error rate 0.02 > max 0.01', 'latency p99 300 ms > max 200 ms'] },
    { name: 'clean', canary: stats(), verdict: 'pass', reasons: [] },
    { name: 'exactly minSamples clean requests', canary: stats({ requests: 50 }), verdict: 'pass', reasons: [] },
  ] as const)('$name → $verdict', ({ canary, verdict, reasons, ...rest }) => {
    const result = classifyCheck(input(canary, { errorRateTest: { enabled: false, alpha: 0.01 } }));
    expect(result.verdict).toBe(verdict);
    expect(result.hardLimit).toBe('hardLimit' in rest ? rest.hardLimit : false);
    expect(result.reasons).toEqual(reasons);
  });

  it('names the metrics source\'s error when it gives one', () => {
    expect(classifyCheck(input(undefined, { unavailableReason: 'gateway answered 503' })).reasons).toEqual(['metrics unavailable: gateway answered 503']);
  });

  it('applies hard limits from minSamples when minSamples is below the floor', () => {
    const sla = { ...defaults.sla, minSamples: 5 };
    expect(defaults.hardLimits.minRequests).toBeGreaterThan(5);
    expect(classifyCheck(input(stats({ requests: 5, errors: 2 }), { sla }))).toMatchObject({ verdict: 'fail', hardLimit: true });
    expect(classifyCheck(input(stats({ requests: 4, errors: 4 }), { sla }))).toMatchObject({ verdict: 'inconclusive', hardLimit: false });
  });

  it('applies a configured latency hard limit', () => {
    const hardLimits = { ...defaults.hardLimits, latencyP99Ms: { max: 2000 } };
    expect(classifyCheck(input(stats({ requests: 20, latencyP99Ms: 5000 }), { hardLimits }))).toMatchObject({
      verdict: 'fail', hardLimit: true, reasons: ['latency p99 5000 ms > hard limit 2000 ms'],
    });
    expect(classifyCheck(input(stats({ latencyP99Ms: 1500 }), { hardLimits }))).toMatchObject({ verdict: 'fail', hardLimit: false });
  });

  it.each([
    { name: 'below the minimum', labeled: 100, correct: 85, verdict: 'fail', reasons: ['accuracy 0.85 < min 0.9 (100 labels)'] },
    { name: 'at the minimum', labeled: 100, correct: 90, verdict: 'pass', reasons: [] },
    { name: 'low, but on fewer than minSamples labels', labeled: 20, correct: 10, verdict: 'pass', reasons: [] },
    { name: 'no labels yet', labeled: 0, correct: 0, verdict: 'pass', reasons: [] },
  ])('accuracy $name → $verdict', ({ labeled, correct, verdict, reasons }) => {
    const sla = { ...defaults.sla, accuracy: { min: 0.9 } };
    const result = classifyCheck(input(stats({ labeled, correct }), { sla }));
    expect(result).toMatchObject({ verdict, reasons });
    expect(result.numbers.accuracy).toBe(labeled > 0 ? correct / labeled : null);
  });

  it('reports the numbers it judged', () => {
    expect(classifyCheck(input(stats({ requests: 2000, errors: 4, latencyP99Ms: 95, labeled: 10, correct: 9 }))).numbers).toEqual({
      requests: 2000, errors: 4, errorRate: 0.002, latencyP99Ms: 95, accuracy: 0.9, labeled: 10,
      championRequests: 19_000, championErrors: 19, championErrorRate: 0.001,
      // 2,000 of 21,000 requests (9.5%) at a configured 5%: the split contradicts the weight, so no test.
      canaryShare: null, bayesFactor: null,
      championLatencyP99Ms: 80, slow: null, latencyBayesFactor: null,
    });
  });
});

describe('classifyCheck: errors vs champion (Bayes factor over the observed split)', () => {
  const versions = (scenario: TrafficScenario) => ({
    canary: stats(scenario.canary),
    champion: stats(scenario.champion, 1),
  });

  it.each([
    { scenario: '15m at 5% of 100 req/s', alpha: 0.01, verdict: 'pass' }, // BF ≈ 1.4: not evidence
    { scenario: '6m at 5% of 1000 req/s', alpha: 0.01, verdict: 'pass' }, // BF 74 < 100
    { scenario: '7m at 5% of 1000 req/s', alpha: 0.01, verdict: 'fail' }, // BF 199 ≥ 100
    { scenario: '10m at 5% of 1000 req/s', alpha: 0.01, verdict: 'fail' }, // BF 4133
    { scenario: '6m at 5% of 1000 req/s', alpha: 0.05, verdict: 'fail' }, // BF 74 ≥ 20
    { scenario: '15m at 50% of 1000 req/s', alpha: 0.01, verdict: 'pass' }, // BF 5e271, but the canary errs less
    { scenario: '1m at 25% of 200 req/s', alpha: 0.01, verdict: 'pass' }, // equal rates
  ])('$scenario, alpha $alpha → $verdict', ({ scenario: name, alpha, verdict }) => {
    const scenario = scenarioNamed(name);
    // The configured weight is the scenario's split (the gateway draws each request's version with it).
    const result = classifyCheck(input(versions(scenario).canary, { champion: versions(scenario).champion, errorRateTest: { enabled: true, alpha }, canaryWeight: scenario.rho * 100 }));
    expect(result.verdict).toBe(verdict);
    expect(result.hardLimit).toBe(false);
    expect(result.numbers.bayesFactor! / scenario.bayesFactor).toBeCloseTo(1, 8);
    expect(result.numbers.canaryShare).toBeCloseTo(scenario.rho, 15);
  });

  it('says why, with the factor, the threshold and both error rates', () => {
    const scenario = scenarioNamed('10m at 5% of 1000 req/s');
    expect(classifyCheck(input(versions(scenario).canary, { champion: versions(scenario).champion })).reasons).toEqual([
      'errors vs champion: Bayes factor 4130 ≥ 1/alpha 100 (error rate 0.002 vs champion 0.001 over the step; canary share 5% of requests, the configured weight)',
    ]);
  });

  it.each([
    { name: 'the test is disabled', overrides: { errorRateTest: { enabled: false, alpha: 0.01 } } },
    { name: 'the champion has no numbers', overrides: { champion: undefined } },
    { name: 'the champion served nothing', overrides: { champion: stats({ requests: 0, errors: 0 }, 1) } },
  ])('passes without a Bayes factor when $name', ({ overrides }) => {
    const scenario = scenarioNamed('10m at 5% of 1000 req/s');
    const result = classifyCheck(input(versions(scenario).canary, { champion: versions(scenario).champion, ...overrides }));
    expect(result).toMatchObject({ verdict: 'pass', reasons: [] });
    expect(result.numbers.bayesFactor).toBeNull();
  });

  it('is decisive over the step although one minute alone is not', () => {
    // 1,000 req/s at 5%, canary 0.2% vs champion 0.1%: one minute is 3,000 vs 57,000 requests.
    const minute = { canary: stats({ requests: 3000, errors: 6 }), champion: stats({ requests: 57_000, errors: 57 }, 1) };
    const alone = classifyCheck(input(minute.canary, { champion: minute.champion }));
    expect(alone.verdict).toBe('pass');
    expect(alone.numbers.bayesFactor).toBeLessThan(2);

    const stepEvidence = { canaryRequests: 27_000, canaryErrors: 54, championRequests: 513_000, championErrors: 513 }; // the 9 minutes before
    const overTheStep = classifyCheck(input(minute.canary, { champion: minute.champion, stepEvidence }));
    expect(overTheStep.verdict).toBe('fail');
    expect(overTheStep.numbers.bayesFactor! / scenarioNamed('10m at 5% of 1000 req/s').bayesFactor).toBeCloseTo(1, 8);
    // the check's own numbers stay this minute's
    expect(overTheStep.numbers).toMatchObject({ requests: 3000, errors: 6, championRequests: 57_000, championErrors: 57 });
  });

  it('never fails on the test when the canary errs less, however strong the evidence', () => {
    const stepEvidence = { canaryRequests: 500_000, canaryErrors: 0, championRequests: 500_000, championErrors: 5000 };
    const result = classifyCheck(input(stats({ errors: 0 }), { champion: stats({ errors: 10 }, 1), stepEvidence, canaryWeight: 50 }));
    expect(result.numbers.bayesFactor).toBeGreaterThan(1e100);
    expect(result.verdict).toBe('pass');
  });

  it('uses the configured split, and runs no test when the observed split contradicts it (|z| > 5)', () => {
    // 5% configured, 5.1% observed over 600,000 requests: z ≈ 1.1, the configured 5% is used.
    const close = classifyCheck(input(stats({ requests: 30_600, errors: 31 }), { champion: stats({ requests: 569_400, errors: 570 }, 1), canaryWeight: 5 }));
    expect(close.numbers.canaryShare).toBe(0.05);
    // 6% observed at 5% configured over 600,000 requests: z ≈ 11 — sticky routing, not the canary.
    const skewed = classifyCheck(input(stats({ requests: 36_000, errors: 80 }), { champion: stats({ requests: 564_000, errors: 564 }, 1), canaryWeight: 5 }));
    expect(skewed.numbers).toMatchObject({ canaryShare: null, bayesFactor: null });
    expect(skewed.reasons.some((r) => r.startsWith('errors vs champion'))).toBe(false);
  });

  it('does not fail on the test below minSamples', () => {
    const stepEvidence = { canaryRequests: 30_000, canaryErrors: 60, championRequests: 570_000, championErrors: 570 };
    expect(classifyCheck(input(stats({ requests: 10, errors: 0 }), { stepEvidence })).verdict).toBe('inconclusive');
  });
});

describe('classifyCheck: business KPIs bounded relative to the champion (sla.kpis)', () => {
  const sla = { ...defaults.sla, kpis: { clicked: { maxRelativeDrop: 0.05, alpha: 0.05 } } };
  const clicks = (count: number, rate: number) => ({ count, sum: Math.round(count * rate), sumSquares: Math.round(count * rate) });

  it('fails decisively once the step shows the canary clicks more than 5% less, and records this check\'s sums', () => {
    const canary = stats({ kpis: { clicked: clicks(500, 0.14), other: clicks(500, 0.9) } });
    const champion = stats({ requests: 1000, kpis: { clicked: clicks(500, 0.2) } }, 1);
    const first = classifyCheck(input(canary, { champion, sla, canaryWeight: 50 }));
    expect(first.numbers.kpis).toEqual({ clicked: { canary: clicks(500, 0.14), champion: clicks(500, 0.2) } });
    expect(first.verdict).toBe('pass');
    // Four more such checks over the step: now the whole ratio sequence lies under 0.95.
    const step = { clicked: { canary: clicks(2000, 0.14), champion: clicks(2000, 0.2) } };
    const later = classifyCheck(input(canary, { champion, sla, canaryWeight: 50, stepKpiEvidence: step }));
    expect(later.verdict).toBe('fail');
    expect(later.decisive).toBe(true);
    expect(later.hardLimit).toBe(false);
    expect(later.reasons).toHaveLength(1);
    expect(later.reasons[0]).toMatch(/^KPI clicked: −30% \[−\d+(\.\d+)?%, −\d+(\.\d+)?%\] \(0\.14 vs 0\.2; .*\) vs champion: below the bound −5% over the step$/);
  });

  it('does not fail a canary whose KPI is as good, nor one whose drop the data cannot yet tell from 5%', () => {
    const champion = stats({ requests: 1000, kpis: { clicked: clicks(500, 0.2) } }, 1);
    const same = classifyCheck(input(stats({ kpis: { clicked: clicks(500, 0.2) } }), { champion, sla, canaryWeight: 50, stepKpiEvidence: { clicked: { canary: clicks(20_000, 0.2), champion: clicks(20_000, 0.2) } } }));
    expect(same.verdict).toBe('pass');
    const slight = classifyCheck(input(stats({ kpis: { clicked: clicks(500, 0.19) } }), { champion, sla, canaryWeight: 50 }));
    expect(slight.verdict).toBe('pass');
    // No KPI reports at all: nothing to judge, no failure.
    expect(classifyCheck(input(stats(), { champion: stats({ requests: 1000 }, 1), sla, canaryWeight: 50 })).verdict).toBe('pass');
  });

  it('fails a canary whose lower-is-better KPI rises beyond maxRelativeRise, and not one that falls', () => {
    const costSla = { ...defaults.sla, kpis: { refunded: { maxRelativeRise: 0.1, alpha: 0.05 } } };
    const champion = stats({ requests: 1000, kpis: { refunded: clicks(500, 0.05) } }, 1);
    const more = classifyCheck(input(stats({ kpis: { refunded: clicks(500, 0.08) } }), { champion, sla: costSla, canaryWeight: 50, stepKpiEvidence: { refunded: { canary: clicks(8000, 0.08), champion: clicks(8000, 0.05) } } }));
    expect(more.verdict).toBe('fail');
    expect(more.decisive).toBe(true);
    expect(more.reasons[0]).toMatch(/^KPI refunded: \+60% \[\+\d+(\.\d+)?%, \+\d+(\.\d+)?%\] \(0\.08 vs 0\.05; .*\) vs champion: above the bound \+10% over the step$/);
    const fewer = classifyCheck(input(stats({ kpis: { refunded: clicks(500, 0.02) } }), { champion, sla: costSla, canaryWeight: 50, stepKpiEvidence: { refunded: { canary: clicks(8000, 0.02), champion: clicks(8000, 0.05) } } }));
    expect(fewer.verdict).toBe('pass');
  });
});
