/**
 * CBPE against NannyML on the committed fixtures (scripts/fixtures/make_cbpe_fixtures.py).
 * Tolerance 1e-12, relative to max(1, |expected|), for every estimate, sampling error and bound
 * (largest gap seen: 4.3e-13, on an expected count near 40): the arithmetic is NannyML's, only
 * the order of some sums differs (numpy sums pairwise, we sum in sequence). The calibrator's
 * knots match exactly. One number is compared differently, and why: the ECE after calibration.
 * NannyML sorts the calibrated probabilities, which tie a lot, with numpy's unstable SIMD
 * quicksort; we sort stably. Ours equals NannyML's ECE recomputed with a stable sort (1e-12);
 * against NannyML's own value only the calibration decision must agree.
 */
import { describe, expect, it } from 'vitest';
import { checkCalibration } from '../../../src/performance/calibration-check.js';
import { estimatePerformance, fitCbpe } from '../../../src/performance/cbpe.js';
import { ESTIMATED_METRIC_NAMES } from '../../../src/performance/performance-metric-names.js';
import { CBPE_CASES, chunkRows, closeTo, loadCbpeFixture } from './cbpe-fixtures.js';

const TOLERANCE = 1e-12;
const CONFUSION_CELLS = { true_positive: 'tp', false_positive: 'fp', true_negative: 'tn', false_negative: 'fn' } as const;

describe.each(CBPE_CASES)('CBPE parity with NannyML: %s', (name) => {
  const fixture = loadCbpeFixture(name);
  const { reference, threshold, nannyml } = fixture;
  const model = fitCbpe(reference.labels, reference.scores, threshold);

  it(`was made with NannyML ${fixture.versions.nannyml}`, () => {
    expect(fixture.versions.nannyml).toMatch(/^0\.13\./);
  });

  it('takes the same calibration decision, with the same ECE before calibration', () => {
    expect(model.calibration.needed).toBe(nannyml.needsCalibration);
    expect(closeTo(model.calibration.eceBefore, nannyml.eceBefore, 1e-12)).toBe(true);
    // Stable order on both sides: the same number.
    expect(closeTo(model.calibration.eceAfter, nannyml.eceAfterStableOrder, 1e-12)).toBe(true);
    expect(checkCalibration(reference.labels, reference.scores)).toEqual(model.calibration);
  });

  it('fits the same isotonic calibrator when it calibrates (exactly)', () => {
    if (nannyml.calibrator === null) expect(model.calibrator).toBeNull();
    else expect(model.calibrator).toEqual(nannyml.calibrator);
  });

  it.each(nannyml.chunks.map((chunk) => [`${chunk.period} rows ${chunk.start}-${chunk.end}`, chunk] as const))(
    'estimates the same metrics, sampling errors and confidence bounds: %s',
    (_label, chunk) => {
      const estimate = estimatePerformance(model, chunkRows(fixture, chunk).scores);
      const mismatches: string[] = [];
      const compare = (what: string, actual: number | null, expected: number | null) => {
        if (!closeTo(actual, expected, TOLERANCE)) mismatches.push(`${what}: ours ${actual}, NannyML ${expected}`);
      };
      for (const metric of ESTIMATED_METRIC_NAMES) {
        const ours = estimate.metrics[metric];
        const theirs = chunk.estimated[metric];
        compare(`${metric} value`, ours.value, theirs.value);
        compare(`${metric} sampling error`, ours.samplingError, theirs.samplingError);
        compare(`${metric} lower`, ours.lower, theirs.lower);
        compare(`${metric} upper`, ours.upper, theirs.upper);
      }
      for (const [cell, key] of Object.entries(CONFUSION_CELLS)) {
        const ours = estimate.expectedConfusion[key];
        const theirs = chunk.estimated[cell as keyof typeof CONFUSION_CELLS];
        compare(`${cell} value`, ours.value, theirs.value);
        compare(`${cell} sampling error`, ours.samplingError, theirs.samplingError);
        compare(`${cell} lower`, ours.lower, theirs.lower);
        compare(`${cell} upper`, ours.upper, theirs.upper);
      }
      expect(mismatches).toEqual([]);
    },
  );
});

describe('what the fixtures show', () => {
  it('has one reference that needs calibration and two that do not', () => {
    expect(CBPE_CASES.map((name) => loadCbpeFixture(name).nannyml.needsCalibration)).toEqual([false, true, false]);
  });
});
