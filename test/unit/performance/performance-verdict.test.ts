import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PerformanceMonitorSection } from '../../../src/performance/performance-config.js';
import { REALISED_METRIC_NAMES } from '../../../src/performance/performance-metric-names.js';
import { judgeWindowPerformance, type PerformanceVerdictInput } from '../../../src/performance/performance-verdict.js';
import type { RealisedMetrics } from '../../../src/performance/realised-metrics.js';

function realised(overrides: Partial<RealisedMetrics> = {}): RealisedMetrics {
  return {
    count: 1000, labelled: 900, labelCoverage: 0.9, positiveRate: 0.05,
    recall: 0.7, precision: 0.6, f1: 0.646, roc_auc: 0.9, log_loss: 0.2, accuracy: 0.95,
    confusion: { tp: 35, fn: 15, fp: 23, tn: 827 },
    ...overrides,
  };
}
const complete = { complete: true };
const baseline = { recall: 0.75, precision: 0.6, f1: 0.66, roc_auc: 0.91, log_loss: 0.18, accuracy: 0.95 };

function judge(overrides: Partial<PerformanceVerdictInput>) {
  return judgeWindowPerformance({ window: complete, realised: realised(), baseline, bounds: { recall: { maxDrop: 0.05 } }, minSupport: 20, ...overrides });
}

describe('the verdict on a window', () => {
  it.each([
    ['a drop within maxDrop is ok', { realised: realised({ recall: 0.71 }) }, 'ok'],
    ['a drop of exactly maxDrop is ok (0.75 - 0.70 is not beyond 0.05 for rounding)', { realised: realised({ recall: 0.7 }) }, 'ok'],
    ['a drop beyond maxDrop is degraded', { realised: realised({ recall: 0.69 }) }, 'degraded'],
    ['an incomplete window is incomplete, however far recall fell', { window: { complete: false, incompleteBecause: '12 labels < 200 needed' }, realised: realised({ recall: 0.1 }) }, 'incomplete'],
    ['no labelled positive is incomplete', { realised: realised({ recall: null, confusion: { tp: 0, fn: 0, fp: 10, tn: 890 } }) }, 'incomplete'],
    ['too few labelled positives is incomplete', { realised: realised({ recall: 0.2, confusion: { tp: 2, fn: 8, fp: 10, tn: 880 } }) }, 'incomplete'],
    ['no baseline is incomplete', { baseline: {} }, 'incomplete'],
    ['log loss degrades upwards', { bounds: { log_loss: { maxDrop: 0.01 } }, realised: realised({ log_loss: 0.2 }) }, 'degraded'],
    ['log loss improving is ok', { bounds: { log_loss: { maxDrop: 0.01 } }, realised: realised({ log_loss: 0.1 }) }, 'ok'],
    ['any degraded metric degrades the window', { bounds: { recall: { maxDrop: 0.05 }, roc_auc: { maxDrop: 0.001 } }, realised: realised({ roc_auc: 0.8 }) }, 'degraded'],
    ['no bounds: nothing to judge, ok', { bounds: {} }, 'ok'],
  ] as const)('%s', (_name, overrides, expected) => {
    expect(judge(overrides as Partial<PerformanceVerdictInput>).verdict).toBe(expected);
  });

  it('says why, in one line', () => {
    expect(judge({ realised: realised({ recall: 0.62 }) }).metrics[0]!.detail).toBe('recall 0.62 vs 0.75 on the training hold-out: down 0.13 > maxDrop 0.05');
    expect(judge({ window: { complete: false, incompleteBecause: '12 labels < 200 needed' } }).metrics[0]!.detail).toBe('recall not judged: labels incomplete (12 labels < 200 needed)');
    expect(judge({ realised: realised({ confusion: { tp: 2, fn: 8, fp: 10, tn: 880 } }) }).metrics[0]!.detail).toBe('recall not judged: rests on 10 labelled positives, fewer than the 20 needed');
  });

  it('reads its bounds from the definition section with the defaults', () => {
    const section = PerformanceMonitorSection.parse({});
    expect(judge({ bounds: section.metrics, minSupport: section.minSupport, realised: realised({ recall: 0.6 }) }).metrics.map((m) => [m.metric, m.verdict])).toEqual([['recall', 'degraded']]);
  });
});

describe('properties of the verdict', () => {
  const metric = fc.constantFrom(...REALISED_METRIC_NAMES);
  const unit = fc.double({ min: 0, max: 1, noNaN: true });
  const count = fc.integer({ min: 0, max: 500 });
  const scenario = fc.record({
    metric,
    baseline: fc.option(unit, { nil: null, freq: 6 }),
    value: fc.option(unit, { nil: null, freq: 6 }),
    maxDrop: unit,
    complete: fc.boolean(),
    confusion: fc.record({ tp: count, fp: count, tn: count, fn: count }),
    minSupport: fc.integer({ min: 1, max: 100 }),
  });
  type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;
  const judgeScenario = (s: Scenario, value: number | null) =>
    judgeWindowPerformance({
      window: { complete: s.complete },
      realised: realised({ [s.metric]: value, confusion: s.confusion, labelled: s.confusion.tp + s.confusion.fp + s.confusion.tn + s.confusion.fn }),
      baseline: { [s.metric]: s.baseline },
      bounds: { [s.metric]: { maxDrop: s.maxDrop } },
      minSupport: s.minSupport,
    });

  it('never calls an incomplete window degraded', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const result = judgeScenario({ ...s, complete: false }, s.value);
        expect(result.verdict).toBe('incomplete');
        expect(result.metrics.every((m) => m.verdict === 'incomplete')).toBe(true);
      }),
    );
  });

  it('is monotone: a bigger drop never turns degraded into ok', () => {
    fc.assert(
      fc.property(scenario, unit, unit, (s, first, second) => {
        const higherIsBetter = s.metric !== 'log_loss';
        // `worse` is the value with the bigger drop from the same baseline.
        const [better, worse] = (higherIsBetter ? first >= second : first <= second) ? [first, second] : [second, first];
        const verdictOfBetter = judgeScenario(s, better).verdict;
        const verdictOfWorse = judgeScenario(s, worse).verdict;
        if (verdictOfBetter === 'degraded') expect(verdictOfWorse).toBe('degraded');
        if (verdictOfWorse === 'ok') expect(verdictOfBetter).toBe('ok');
      }),
    );
  });

  it('is degraded exactly when a judged drop exceeds maxDrop', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const [judged] = judgeScenario(s, s.value).metrics;
        if (judged!.verdict === 'incomplete') return;
        expect(judged!.verdict === 'degraded').toBe(judged!.drop! - s.maxDrop > 1e-12);
      }),
    );
  });
});
