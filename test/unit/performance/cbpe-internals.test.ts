import { describe, expect, it } from 'vitest';
import { calibrateScores, fitIsotonicCalibrator } from '../../../src/performance/isotonic-calibrator.js';
import { NumpyRandomState } from '../../../src/performance/numpy-random-state.js';
import { stratifiedShuffleSplit } from '../../../src/performance/stratified-shuffle-split.js';
import { binEdges } from '../../../src/performance/calibration-check.js';
import { loadCbpeInternals } from './cbpe-fixtures.js';

const internals = loadCbpeInternals();

describe("numpy's legacy RandomState", () => {
  it('draws the same 32-bit stream as np.random.RandomState(42)', () => {
    const random = new NumpyRandomState(42);
    expect(Array.from({ length: 5 }, () => random.nextUint32())).toEqual(internals.randomState.seed42_uint32_first5);
  });

  it('permutes as np.random.RandomState(seed).permutation(n)', () => {
    expect(new NumpyRandomState(42).permutation(10)).toEqual(internals.randomState.seed42_permutation10);
    expect(new NumpyRandomState(7).permutation(1000).slice(0, 20)).toEqual(internals.randomState.seed7_permutation1000_first20);
  });
});

describe("scikit-learn's StratifiedShuffleSplit", () => {
  it('gives the same folds, index for index, as StratifiedShuffleSplit(10, test_size=0.1, random_state=42)', () => {
    const { labels, testSize, randomState, folds } = internals.stratifiedSplit;
    expect(stratifiedShuffleSplit(labels, { splits: folds.length, testShare: testSize, seed: randomState })).toEqual(folds);
  });
});

describe("scikit-learn's IsotonicRegression (out_of_bounds='clip')", () => {
  const { x, y, xThresholds, yThresholds, grid, predicted } = internals.isotonic;

  it('fits the same knots on tied scores (exactly)', () => {
    const calibrator = fitIsotonicCalibrator(x, y);
    expect(calibrator.xThresholds).toEqual(xThresholds);
    expect(calibrator.yThresholds).toEqual(yThresholds);
  });

  it('predicts the same values inside, at and beyond the fitted range (exactly)', () => {
    expect(Array.from(calibrateScores(fitIsotonicCalibrator(x, y), grid))).toEqual(predicted);
  });

  it('is constant when every score is the same', () => {
    const calibrator = fitIsotonicCalibrator([0.3, 0.3, 0.3], [1, 0, 0]);
    expect(Array.from(calibrateScores(calibrator, [0, 0.3, 1]))).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });
});

describe("NannyML's ECE bins", () => {
  it('splits by position with the remainder in the last bin, fewer bins for short vectors', () => {
    expect(binEdges(20, 4)).toEqual([[0, 5], [5, 10], [10, 15], [15, 20]]);
    expect(binEdges(255, 10).at(-1)).toEqual([225, 255]);
    expect(binEdges(29, 10)).toHaveLength(14);
    expect(binEdges(10, 10)).toHaveLength(5);
    expect(() => binEdges(3, 10)).toThrow(/at least 2/);
  });
});
