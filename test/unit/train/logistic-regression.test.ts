import { describe, expect, it } from 'vitest';
import { LINEAR_MODEL_FORMAT } from '../../../src/train/artifact.js';
import { TargetValueError, TrainingDataError, MissingFeatureError } from '../../../src/train/input-errors.js';
import { trainLogisticRegression, type LogisticRegressionOptions } from '../../../src/train/logistic-regression.js';
import { scoreRows } from '../../../src/train/predict.js';
import { reference, referenceTable, referenceTrainRows, tableOf } from './fixture-table.js';

const table = referenceTable();
const tight = { maxIterations: 10_000, tolerance: 1e-10 };

function optionsFor(l2: number, minCategoryCount: number, extra: Partial<LogisticRegressionOptions> = {}): LogisticRegressionOptions {
  return { model: 'reference', target: reference.target, features: reference.features, rows: referenceTrainRows(), params: { l2, minCategoryCount, ...tight }, seed: 7, ...extra };
}

const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
};

describe('trainLogisticRegression against scikit-learn', () => {
  for (const expected of reference.cases) {
    describe(`${expected.name} (l2 = ${expected.l2}, minCategoryCount = ${expected.minCategoryCount})`, () => {
      const artifact = trainLogisticRegression(table, optionsFor(expected.l2, expected.minCategoryCount));

      it('fits the same encodings', () => {
        expect(artifact.features.map((f) => f.name)).toEqual(expected.encodings.map((f) => f.name));
        artifact.features.forEach((feature, i) => {
          const want = expected.encodings[i]!;
          if (feature.kind === 'numeric' && want.kind === 'numeric') {
            expect(feature.mean).toBeCloseTo(want.mean, 9);
            expect(feature.std).toBeCloseTo(want.std, 9);
          } else {
            expect(feature).toEqual(want);
          }
        });
      });

      it('matches the coefficients and intercept within 1e-5', () => {
        expect(maxDifference(artifact.weights, expected.coef)).toBeLessThanOrEqual(1e-5);
        expect(Math.abs(artifact.intercept - expected.intercept)).toBeLessThanOrEqual(1e-5);
        // sklearn itself stops ~1e-6 short of the exact optimum (Newton); we get at least as close.
        expect(maxDifference(artifact.weights, expected.newtonCoef)).toBeLessThanOrEqual(1e-6);
        expect(Math.abs(artifact.intercept - expected.newtonIntercept)).toBeLessThanOrEqual(1e-6);
      });

      it('matches the predicted probabilities of every row within 1e-6', () => {
        expect(maxDifference(scoreRows(artifact, table), expected.probabilities)).toBeLessThanOrEqual(1e-6);
      });

      it('records how it was trained', () => {
        const positives = referenceTrainRows().reduce((sum, row) => sum + (reference.columns.label!.values[row] as number), 0);
        expect(artifact).toMatchObject({ format: LINEAR_MODEL_FORMAT, model: 'reference', algorithm: 'logistic_regression', target: 'label' });
        expect(artifact.params).toEqual({ l2: expected.l2, minCategoryCount: expected.minCategoryCount, ...tight });
        expect(artifact.training).toMatchObject({ rows: reference.trainRows.length, positives, converged: true, seed: 7 });
        expect(artifact.training.iterations).toBeGreaterThan(5);
        // finalLoss is the minimised objective: Σ log-loss + (l2 / 2)·‖w‖² over the training rows.
        const probabilities = scoreRows(artifact, table, referenceTrainRows());
        let objective = (expected.l2 / 2) * artifact.weights.reduce((sum, w) => sum + w * w, 0);
        referenceTrainRows().forEach((row, i) => {
          const p = probabilities[i]!;
          objective -= reference.columns.label!.values[row] === 1 ? Math.log(p) : Math.log(1 - p);
        });
        expect(artifact.training.finalLoss).toBeCloseTo(objective, 8);
        expect(artifact.training.seconds).toBeGreaterThanOrEqual(0);
      });
    });
  }
});

describe('trainLogisticRegression', () => {
  it('gives bit-identical weights for the same input and seed', () => {
    const options = optionsFor(1, 1, { params: { l2: 1, minCategoryCount: 1, maxIterations: 200, tolerance: 1e-6 } });
    const first = trainLogisticRegression(table, options);
    const second = trainLogisticRegression(referenceTable(), { ...options, rows: referenceTrainRows() });
    expect(second.weights).toEqual(first.weights);
    expect(Object.is(second.intercept, first.intercept)).toBe(true);
  });

  it('stops at maxIterations and records that it did not converge', () => {
    const artifact = trainLogisticRegression(table, optionsFor(1, 1, { params: { l2: 1, minCategoryCount: 1, maxIterations: 2, tolerance: 1e-12 } }));
    expect(artifact.training).toMatchObject({ iterations: 2, converged: false });
  });

  it('accepts a boolean target loaded as 0/1 and a text target of "true"/"false"', () => {
    const x = [1, 2, 3, 4, 5, 6];
    const numeric = tableOf({ x, y: [0, 0, 1, 0, 1, 1] });
    const text = tableOf({ x, y: ['false', 'false', 'TRUE', 'false', 'true', 'true'] });
    const rows = Uint32Array.of(0, 1, 2, 3, 4, 5);
    const options = { model: 'm', target: 'y', features: ['x'], rows, params: { l2: 1, minCategoryCount: 1, maxIterations: 100, tolerance: 1e-8 }, seed: 1 };
    expect(trainLogisticRegression(text, options).weights).toEqual(trainLogisticRegression(numeric, options).weights);
  });

  it('rejects a target value other than 0/1, naming the column, the row and the value', () => {
    const bad = tableOf({ x: [1, 2, 3], y: [0, 2, 1] });
    const options = { model: 'm', target: 'y', features: ['x'], rows: Uint32Array.of(0, 1, 2), params: { l2: 1, minCategoryCount: 1, maxIterations: 10, tolerance: 1e-6 }, seed: 1 };
    const error = catchError(() => trainLogisticRegression(bad, options));
    expect(error).toBeInstanceOf(TargetValueError);
    expect(error).toMatchObject({ column: 'y', row: 1, value: 2 });
    expect((error as Error).message).toBe('target column "y" must hold 0/1 or true/false, but row 2 has 2');
  });

  it('rejects a missing or text target value', () => {
    const options = { model: 'm', target: 'y', features: ['x'], rows: Uint32Array.of(0, 1, 2), params: { l2: 1, minCategoryCount: 1, maxIterations: 10, tolerance: 1e-6 }, seed: 1 };
    expect(() => trainLogisticRegression(tableOf({ x: [1, 2, 3], y: [0, null, 1] }), options)).toThrow(/row 2 has a missing value/);
    expect(() => trainLogisticRegression(tableOf({ x: [1, 2, 3], y: ['yes', 'no', 'yes'] }), options)).toThrow(/row 1 has "yes"/);
  });

  it('checks only the training rows of the target', () => {
    const partly = tableOf({ x: [1, 2, 3, 4], y: [0, 1, 0, 7] });
    const options = { model: 'm', target: 'y', features: ['x'], rows: Uint32Array.of(0, 1, 2), params: { l2: 1, minCategoryCount: 1, maxIterations: 50, tolerance: 1e-6 }, seed: 1 };
    expect(trainLogisticRegression(partly, options).training.rows).toBe(3);
  });

  it('refuses training rows of a single class, a missing feature, and the target as a feature', () => {
    const data = tableOf({ x: [1, 2, 3], y: [1, 1, 1] });
    const base = { model: 'm', target: 'y', features: ['x'], rows: Uint32Array.of(0, 1, 2), params: { l2: 1, minCategoryCount: 1, maxIterations: 10, tolerance: 1e-6 }, seed: 1 };
    expect(() => trainLogisticRegression(data, base)).toThrow(TrainingDataError);
    expect(() => trainLogisticRegression(data, { ...base, features: ['nope'] })).toThrow(MissingFeatureError);
    expect(() => trainLogisticRegression(data, { ...base, features: ['x', 'y'] })).toThrow(/also listed as a feature/);
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
