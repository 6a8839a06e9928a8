/**
 * Realised metrics against scikit-learn on the CBPE fixtures' analysis chunks and references
 * (scripts/fixtures/make_cbpe_fixtures.py). Tolerance 1e-12, relative to max(1, |expected|): the
 * counts are integers and the ratios are the same divisions; log loss sums in another order.
 */
import { describe, expect, it } from 'vitest';
import { REALISED_METRIC_NAMES } from '../../../src/performance/performance-metric-names.js';
import { realisedMetrics } from '../../../src/performance/realised-metrics.js';
import { CBPE_CASES, chunkRows, closeTo, loadCbpeFixture, type SklearnRealised } from './cbpe-fixtures.js';

const TOLERANCE = 1e-12;

function expectLikeSklearn(scores: number[], labels: Array<0 | 1>, threshold: number, expected: SklearnRealised) {
  const realised = realisedMetrics(scores, labels, threshold);
  expect(realised.count).toBe(expected.count);
  expect(realised.labelled).toBe(expected.count);
  expect(realised.labelCoverage).toBe(1);
  expect(realised.confusion!.tp + realised.confusion!.fn).toBe(expected.positives);
  expect(realised.confusion!.tp + realised.confusion!.fp).toBe(expected.predictedPositives);
  const mismatches = REALISED_METRIC_NAMES.filter((metric) => !closeTo(realised[metric], expected[metric], TOLERANCE)).map(
    (metric) => `${metric}: ours ${realised[metric]}, scikit-learn ${expected[metric]}`,
  );
  if (!closeTo(realised.positiveRate, expected.positive_rate, TOLERANCE)) mismatches.push(`positive rate: ours ${realised.positiveRate}, ${expected.positive_rate}`);
  expect(mismatches).toEqual([]);
}

describe.each(CBPE_CASES)('realised metrics against scikit-learn: %s', (name) => {
  const fixture = loadCbpeFixture(name);

  it('on the whole reference', () => {
    expectLikeSklearn(fixture.reference.scores, fixture.reference.labels as Array<0 | 1>, fixture.threshold, fixture.nannyml.referenceRealised);
  });

  const analysisChunks = fixture.nannyml.chunks.filter((chunk) => chunk.period === 'analysis');
  it.each(analysisChunks.map((chunk) => [`rows ${chunk.start}-${chunk.end}`, chunk] as const))('on analysis chunk %s, and as NannyML realises them', (_label, chunk) => {
    const { scores, labels } = chunkRows(fixture, chunk);
    expectLikeSklearn(scores, labels as Array<0 | 1>, fixture.threshold, chunk.sklearn!);
    const realised = realisedMetrics(scores, labels as Array<0 | 1>, fixture.threshold);
    for (const metric of ['recall', 'precision', 'f1', 'roc_auc', 'accuracy'] as const) {
      expect(closeTo(realised[metric], chunk.nannymlRealised![metric], TOLERANCE), `${metric} vs NannyML's PerformanceCalculator`).toBe(true);
    }
  });
});

describe('realised metrics with labels still missing', () => {
  it('measures the labelled rows, and the positive rate and coverage over every prediction', () => {
    const realised = realisedMetrics([0.9, 0.8, 0.2, 0.1, 0.7], [1, null, 0, null, 0], 0.5);
    expect(realised).toMatchObject({ count: 5, labelled: 3, labelCoverage: 0.6, positiveRate: 0.6, recall: 1, precision: 0.5, accuracy: 2 / 3 });
    expect(realised.confusion).toEqual({ tp: 1, fp: 1, tn: 1, fn: 0 });
  });

  it('says null, not 0, where scikit-learn would divide 0 by 0', () => {
    const noPositives = realisedMetrics([0.9, 0.1, 0.2], [0, 0, 0], 0.5);
    expect(noPositives).toMatchObject({ recall: null, roc_auc: null, precision: 0, f1: 0, accuracy: 2 / 3 });
    const noPredictedPositives = realisedMetrics([0.1, 0.2, 0.3], [1, 0, 0], 0.5);
    expect(noPredictedPositives).toMatchObject({ recall: 0, precision: null, f1: 0 });
    const neither = realisedMetrics([0.1, 0.2], [0, 0], 0.5);
    expect(neither.f1).toBeNull();
  });

  it('has no labelled metric at all before the first label', () => {
    const realised = realisedMetrics([0.9, 0.1], [null, null], 0.5);
    expect(realised).toMatchObject({ labelled: 0, labelCoverage: 0, positiveRate: 0.5, recall: null, log_loss: null, confusion: null });
  });
});
