import { describe, expect, it } from 'vitest';
import { InvalidEvaluationInput } from '../../../src/evaluate/evaluation-input.js';
import { estimatePerformance, fitCbpe } from '../../../src/performance/cbpe.js';
import { loadCbpeFixture } from './cbpe-fixtures.js';

describe('CBPE at the edges', () => {
  it('skips calibration, saying why, on a one-class reference, a separable one, or one too small to split', () => {
    expect(fitCbpe([0, 0, 0, 0], [0.1, 0.2, 0.3, 0.4], 0.5).calibration).toEqual({ needed: false, eceBefore: null, eceAfter: null, skippedBecause: 'the reference holds one class' });
    expect(fitCbpe([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], 0.5).calibration.skippedBecause).toBe('the reference ROC AUC is above 0.999');
    const tiny = fitCbpe([0, 1, 0, 0, 1, 0, 0, 0], [0.1, 0.2, 0.3, 0.4, 0.15, 0.6, 0.7, 0.8], 0.5);
    expect(tiny.calibration.skippedBecause).toMatch(/^the reference is too small to check: /);
    expect(tiny.calibrator).toBeNull();
  });

  it('estimates without a single label, and leaves undefined sampling errors null, not NaN', () => {
    const model = fitCbpe([0, 0, 0, 0], [0.1, 0.2, 0.3, 0.4], 0.5);
    const estimate = estimatePerformance(model, [0.9, 0.1]);
    expect(estimate.metrics.recall).toEqual({ value: 0.9 / 1.0, samplingError: null, lower: null, upper: null });
    expect(estimate.expectedConfusion.tp.value).toBeCloseTo(0.9, 15);
    expect(JSON.parse(JSON.stringify(model))).toEqual(model);
  });

  it('refuses an empty window and bad references', () => {
    const model = fitCbpe([0, 1, 0, 1], [0.1, 0.6, 0.7, 0.4], 0.5);
    expect(() => estimatePerformance(model, [])).toThrow(InvalidEvaluationInput);
    expect(() => fitCbpe([0, 2], [0.1, 0.2], 0.5)).toThrow(/label at row 1 is 2/);
    expect(() => fitCbpe([0, 1], [0.1, 0.2], 1.5)).toThrow(/threshold/);
  });

  it('gives a fitted model that survives JSON (an activity result) and estimates the same after it', () => {
    const fixture = loadCbpeFixture('miscalibrated');
    const model = fitCbpe(fixture.reference.labels, fixture.reference.scores, fixture.threshold);
    const travelled = JSON.parse(JSON.stringify(model));
    expect(estimatePerformance(travelled, fixture.analysis[0]!.scores)).toEqual(estimatePerformance(model, fixture.analysis[0]!.scores));
  });
});
