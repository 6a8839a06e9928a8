import { describe, expect, it } from 'vitest';
import type { Table } from '../../../src/data/table.js';
import { LINEAR_MODEL_FORMAT, type LinearModelArtifact } from '../../../src/train/artifact.js';
import { FeatureTypeError, MissingFeatureError } from '../../../src/train/input-errors.js';
import { trainLogisticRegression } from '../../../src/train/logistic-regression.js';
import { scoreRecord, scoreRows, type RecordValue } from '../../../src/train/predict.js';
import { reference, referenceTable, referenceTrainRows, tableOf } from './fixture-table.js';

const table = referenceTable();
const artifact = trainLogisticRegression(table, {
  model: 'reference', target: 'label', features: reference.features, rows: referenceTrainRows(),
  params: { l2: 1, minCategoryCount: 1, maxIterations: 200, tolerance: 1e-6 }, seed: 1,
});

function recordOf(source: Table, row: number): Record<string, RecordValue> {
  return Object.fromEntries(source.columns.map((c) => {
    if (c.kind === 'numeric') return [c.name, Number.isNaN(c.values[row]!) ? null : c.values[row]!];
    const code = c.codes[row]!;
    return [c.name, code < 0 ? null : c.dictionary[code]!];
  }));
}

/** A hand-made model: p = sigmoid(0.5 + 2·(x − 1)/2 + [colour = red]·1 − [colour = blue]·3). */
const small: LinearModelArtifact = {
  format: LINEAR_MODEL_FORMAT, model: 'small', algorithm: 'logistic_regression', target: 'y',
  features: [{ name: 'x', kind: 'numeric', mean: 1, std: 2 }, { name: 'colour', kind: 'categorical', categories: ['blue', 'red'] }],
  intercept: 0.5, weights: [2, -3, 1],
  params: { l2: 1, maxIterations: 1, tolerance: 1, minCategoryCount: 1 },
  training: { rows: 1, positives: 1, iterations: 1, converged: true, finalLoss: 1, seconds: 0, seed: 0 },
  createdAt: '2024-01-01T00:00:00.000Z',
};
const sigmoid = (m: number) => 1 / (1 + Math.exp(-m));
const expectProbabilities = (actual: Float64Array, expected: number[]) => {
  expect(actual.length).toBe(expected.length);
  expected.forEach((p, i) => expect(actual[i]).toBeCloseTo(p, 14));
};

describe('scoreRows', () => {
  it('computes sigmoid(intercept + weights · encoded row)', () => {
    const data = tableOf({ x: [3, null, 1], colour: ['red', 'blue', null] });
    expectProbabilities(scoreRows(small, data), [sigmoid(0.5 + 2 + 1), sigmoid(0.5 - 3), sigmoid(0.5)]);
  });

  it('scores only the requested rows, in their order', () => {
    const all = scoreRows(artifact, table);
    const picked = scoreRows(artifact, table, Uint32Array.of(17, 3, 2999));
    expect(Array.from(picked)).toEqual([all[17], all[3], all[2999]]);
  });

  it('looks features up by name, whatever the column order and extra columns', () => {
    const reordered: Table = { rowCount: table.rowCount, columns: [...table.columns].reverse() };
    expect(scoreRows(artifact, reordered)).toEqual(scoreRows(artifact, table));
  });

  it('scores an unseen category like a missing one', () => {
    const data = tableOf({ x: [1, 1], colour: ['purple', null] });
    const [unseen, missing] = scoreRows(small, data);
    expect(unseen).toBe(missing);
  });

  it('accepts columns typed differently from training: numbers as text, categories as numbers', () => {
    const model: LinearModelArtifact = { ...small, features: [small.features[0]!, { name: 'colour', kind: 'categorical', categories: ['1', '2'] }] };
    const asText = tableOf({ x: ['3', ''], colour: ['2', '1'] });
    const asNumbers = tableOf({ x: [3, null], colour: [2, 1] });
    expectProbabilities(scoreRows(model, asText), [sigmoid(0.5 + 2 + 1), sigmoid(0.5 - 3)]);
    expect(scoreRows(model, asNumbers)).toEqual(scoreRows(model, asText));
  });

  it('names a feature column the table lacks', () => {
    const data = tableOf({ x: [1] });
    expect(() => scoreRows(small, data)).toThrow(MissingFeatureError);
    expect(() => scoreRows(small, data)).toThrow(/column "colour" is not in the table/);
  });

  it('refuses an artifact whose weights do not match its features', () => {
    expect(() => scoreRows({ ...small, weights: [1, 2] }, tableOf({ x: [1], colour: ['red'] }))).toThrow(/2 weights but its features encode to 3/);
  });
});

describe('scoreRecord', () => {
  it('gives bit-identically the same probability as scoreRows for every row', () => {
    const batch = scoreRows(artifact, table);
    for (let row = 0; row < table.rowCount; row++) {
      const single = scoreRecord(artifact, recordOf(table, row));
      if (single !== batch[row]) expect.fail(`row ${row}: scoreRecord ${single} != scoreRows ${batch[row]}`);
    }
  });

  it('reads booleans as 1/0, numeric text as numbers, null and blank text as missing', () => {
    expect(scoreRecord(small, { x: true, colour: 'red' })).toBe(scoreRecord(small, { x: 1, colour: 'red' }));
    expect(scoreRecord(small, { x: ' 3 ', colour: 'red' })).toBe(sigmoid(0.5 + 2 + 1));
    expect(scoreRecord(small, { x: null, colour: null })).toBe(sigmoid(0.5));
    expect(scoreRecord(small, { x: '', colour: 'mauve' })).toBe(sigmoid(0.5));
  });

  it('rejects text for a numeric feature, and a record without a feature', () => {
    expect(() => scoreRecord(small, { x: 'tall', colour: 'red' })).toThrow(FeatureTypeError);
    expect(() => scoreRecord(small, { x: 'tall', colour: 'red' })).toThrow('feature "x" must be a number (or true/false, or missing), got "tall"');
    expect(() => scoreRecord(small, { colour: 'red' })).toThrow(MissingFeatureError);
    expect(() => scoreRecord(small, { colour: 'red' })).toThrow('column "x" is not in the record (it has: colour)');
  });
});
