import { describe, expect, it } from 'vitest';
import { evaluateGates, summariseGateFailures } from '../../../src/evaluate/gates.js';
import { fairnessMetrics, type FairnessReport } from '../../../src/evaluate/fairness.js';
import { Gates, type MetricName } from '../../../src/spec/schema.js';

const metrics = (overrides: Partial<Record<MetricName, number>> = {}): Record<MetricName, number> => ({
  accuracy: 0.9, precision: 0.8, recall: 0.7, f1: 0.75, roc_auc: 0.812, log_loss: 0.3, ...overrides,
});

/** Groups a (selection 2/3), b (1/3, no positives), c (1/1, no negatives). */
const report: FairnessReport = fairnessMetrics(
  [1, 1, 0, 0, 0, 0, 1],
  [0.9, 0.2, 0.8, 0.1, 0.7, 0.3, 0.6],
  { codes: [0, 0, 0, 1, 1, 1, 2], names: ['a', 'b', 'c'], attribute: 'region' },
  0.5,
);

describe('metric gates', () => {
  it.each([
    { bound: { min: 0.85 }, value: 0.812, passed: false, detail: 'roc_auc 0.812 < min 0.85' },
    { bound: { min: 0.8 }, value: 0.812, passed: true, detail: 'roc_auc 0.812 >= min 0.8' },
    { bound: { min: 0.812 }, value: 0.812, passed: true, detail: 'roc_auc 0.812 >= min 0.812' },
    { bound: { max: 0.8 }, value: 0.812, passed: false, detail: 'roc_auc 0.812 > max 0.8' },
    { bound: { max: 0.9 }, value: 0.812, passed: true, detail: 'roc_auc 0.812 <= max 0.9' },
    { bound: { min: 0.8, max: 0.9 }, value: 0.812, passed: true, detail: 'roc_auc 0.812 within [0.8, 0.9]' },
    { bound: { min: 0.82, max: 0.9 }, value: 0.812, passed: false, detail: 'roc_auc 0.812 < min 0.82' },
    { bound: { min: 0.7, max: 0.8 }, value: 0.812, passed: false, detail: 'roc_auc 0.812 > max 0.8' },
    { bound: { min: 0.85 }, value: 0.84999999, passed: false, detail: 'roc_auc 0.84999999 < min 0.85' },
    { bound: { min: 0.85 }, value: Number.NaN, passed: false, detail: 'roc_auc is undefined (the hold-out has only one class); needs >= 0.85' },
  ])('roc_auc $value against $bound → passed $passed', ({ bound, value, passed, detail }) => {
    const [result] = evaluateGates(Gates.parse({ roc_auc: bound }), { metrics: metrics({ roc_auc: value }) });
    expect(result).toEqual({ gate: 'metric:roc_auc', value: Number.isNaN(value) ? null : value, ...bound, passed, detail });
  });

  it('fails log_loss above its max', () => {
    const [result] = evaluateGates(Gates.parse({ log_loss: { max: 0.25 } }), { metrics: metrics() });
    expect(result).toMatchObject({ gate: 'metric:log_loss', passed: false, detail: 'log_loss 0.3 > max 0.25' });
  });

  it('fails a metric that was not measured', () => {
    const partial = { roc_auc: 0.9 } as Record<MetricName, number>;
    const [result] = evaluateGates(Gates.parse({ f1: { min: 0.5 } }), { metrics: partial });
    expect(result).toMatchObject({ gate: 'metric:f1', value: null, passed: false, detail: 'f1 was not measured; needs >= 0.5' });
  });

  it('gives one result per configured metric, in schema order, and none for a bound without min or max', () => {
    const results = evaluateGates(Gates.parse({ roc_auc: { min: 0.5 }, accuracy: { min: 0.5, max: 1 }, f1: {} }), { metrics: metrics() });
    expect(results.map((result) => result.gate)).toEqual(['metric:accuracy', 'metric:roc_auc']);
  });

  it('has no results when no gates are configured', () => {
    expect(evaluateGates(Gates.parse({}), { metrics: metrics() })).toEqual([]);
  });
});

describe('fairness gates', () => {
  it('checks each configured fairness bound and says which groups are furthest apart', () => {
    const gates = Gates.parse({
      fairness: { attribute: 'region', demographic_parity_difference: { max: 0.1 }, demographic_parity_ratio: { min: 0.8 }, equalized_odds_difference: { max: 0.5 } },
    });
    expect(evaluateGates(gates, { metrics: metrics(), fairness: report })).toEqual([
      { gate: 'fairness:demographic_parity_difference', value: 1 - 1 / 3, max: 0.1, passed: false, detail: 'demographic_parity_difference 0.6667 > max 0.1 (region: selection rate 1 for c, 0.3333 for b)' },
      { gate: 'fairness:demographic_parity_ratio', value: 1 / 3, min: 0.8, passed: false, detail: 'demographic_parity_ratio 0.3333 < min 0.8 (region: selection rate 1 for c, 0.3333 for b)' },
      { gate: 'fairness:equalized_odds_difference', value: 1, max: 0.5, passed: false, detail: 'equalized_odds_difference 1 > max 0.5 (region: TPR 1 for c, 0 for b; b has no positives, so its TPR counts as 0)' },
    ]);
  });

  it('passes bounds the report meets', () => {
    const gates = Gates.parse({ fairness: { attribute: 'region', demographic_parity_difference: { max: 0.7 } } });
    expect(evaluateGates(gates, { metrics: metrics(), fairness: report })).toMatchObject([{ passed: true, detail: expect.stringMatching(/^demographic_parity_difference 0.6667 <= max 0.7 \(region: /) }]);
  });

  it('fails every configured bound when the attribute has no report', () => {
    const gates = Gates.parse({ fairness: { attribute: 'region', demographic_parity_ratio: { min: 0.8 }, equalized_odds_difference: { max: 0.1 } } });
    const results = evaluateGates(gates, { metrics: metrics() });
    expect(results).toEqual([
      { gate: 'fairness:demographic_parity_ratio', value: null, min: 0.8, passed: false, detail: "demographic_parity_ratio was not measured: no fairness report for attribute 'region' (is the column in the hold-out?)" },
      { gate: 'fairness:equalized_odds_difference', value: null, max: 0.1, passed: false, detail: "equalized_odds_difference was not measured: no fairness report for attribute 'region' (is the column in the hold-out?)" },
    ]);
  });

  it('fails when the report is for another attribute', () => {
    const gates = Gates.parse({ fairness: { attribute: 'age_band', demographic_parity_ratio: { min: 0.8 } } });
    const [result] = evaluateGates(gates, { metrics: metrics(), fairness: report });
    expect(result).toMatchObject({ passed: false, detail: "demographic_parity_ratio was not measured: the fairness report is for 'region', the gate asks for 'age_band'" });
  });

  it('fails an undefined demographic parity ratio and says why', () => {
    const nobodySelected = fairnessMetrics([1, 0], [0.1, 0.2], { codes: [0, 1], names: ['a', 'b'] }, 0.5);
    const gates = Gates.parse({ fairness: { attribute: 'region', demographic_parity_ratio: { min: 0.8 } } });
    const [result] = evaluateGates(gates, { metrics: metrics(), fairness: nobodySelected });
    expect(result).toMatchObject({ value: null, passed: false, detail: 'demographic_parity_ratio is undefined (no group has a positive prediction, so the ratio is 0/0); needs >= 0.8' });
  });

  it('gives no fairness results when only the attribute is set', () => {
    expect(evaluateGates(Gates.parse({ fairness: { attribute: 'region' } }), { metrics: metrics(), fairness: report })).toEqual([]);
  });
});

describe('champion gate and the whole list', () => {
  const gates = Gates.parse({ roc_auc: { min: 0.8 }, fairness: { attribute: 'region', demographic_parity_ratio: { min: 0.2 } }, champion: {} });

  it('applies the schema defaults (roc_auc, no regression) and comes last', () => {
    const results = evaluateGates(gates, { metrics: metrics(), fairness: report, championMetrics: metrics({ roc_auc: 0.83 }) });
    expect(results.map((result) => [result.gate, result.passed])).toEqual([
      ['metric:roc_auc', true],
      ['fairness:demographic_parity_ratio', true],
      ['champion:roc_auc', false],
    ]);
  });

  it('summarises only the failures, one line each, naming the gate', () => {
    const results = evaluateGates(gates, { metrics: metrics({ roc_auc: 0.79 }), fairness: report, championMetrics: metrics({ roc_auc: 0.83 }) });
    expect(summariseGateFailures(results)).toEqual([
      'metric:roc_auc: roc_auc 0.79 < min 0.8',
      'champion:roc_auc: roc_auc 0.79 vs champion 0.83: worse by 0.04, more than the allowed 0',
    ]);
  });

  it('has nothing to summarise when every gate passes', () => {
    const results = evaluateGates(gates, { metrics: metrics(), fairness: report });
    expect(results.at(-1)).toMatchObject({ gate: 'champion:roc_auc', passed: true, detail: 'no champion yet' });
    expect(summariseGateFailures(results)).toEqual([]);
  });
});
