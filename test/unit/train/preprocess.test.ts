import { describe, expect, it } from 'vitest';
import { FeatureTypeError, MissingFeatureError } from '../../../src/train/input-errors.js';
import { buildDesignMatrix, encodedColumnNames, encodedWidth, fitFeatureEncodings, numericValues } from '../../../src/train/preprocess.js';
import { tableOf } from './fixture-table.js';

const table = tableOf({
  x: [1, 2, null, 5, 100, 7],
  constant: [3, 3, 3, 3, 3, 3],
  colour: ['red', 'blue', 'red', null, 'green', 'violet'],
  y: [0, 1, 0, 1, 0, 1],
});
// Row 4 (x = 100, colour = green) is held out: it must not influence the encodings.
const trainRows = Uint32Array.of(0, 1, 2, 3, 5);

describe('fitFeatureEncodings', () => {
  it('standardises with the mean and population std of the non-missing training values', () => {
    const [x] = fitFeatureEncodings(table, ['x'], trainRows, 1);
    const present = [1, 2, 5, 7];
    const mean = present.reduce((a, b) => a + b) / present.length;
    const std = Math.sqrt(present.reduce((a, v) => a + (v - mean) ** 2, 0) / present.length);
    expect(x).toEqual({ name: 'x', kind: 'numeric', mean, std });
  });

  it('uses std 1 for a constant column so it encodes as 0 instead of dividing by zero', () => {
    const [constant] = fitFeatureEncodings(table, ['constant'], trainRows, 1);
    expect(constant).toEqual({ name: 'constant', kind: 'numeric', mean: 3, std: 1 });
    expect(Array.from(buildDesignMatrix(table, [constant!], trainRows).numeric)).toEqual([0, 0, 0, 0, 0]);
  });

  it('keeps the categories seen in training, sorted, and drops those seen fewer than minCategoryCount times', () => {
    expect(fitFeatureEncodings(table, ['colour'], trainRows, 1)).toEqual([{ name: 'colour', kind: 'categorical', categories: ['blue', 'red', 'violet'] }]);
    expect(fitFeatureEncodings(table, ['colour'], trainRows, 2)).toEqual([{ name: 'colour', kind: 'categorical', categories: ['red'] }]);
    // 0 means "no minimum", but a category never seen in training still gets no column.
    expect(fitFeatureEncodings(table, ['colour'], trainRows, 0)).toEqual([{ name: 'colour', kind: 'categorical', categories: ['blue', 'red', 'violet'] }]);
  });

  it('names a feature that is not in the table', () => {
    expect(() => fitFeatureEncodings(table, ['x', 'age'], trainRows, 1)).toThrow(MissingFeatureError);
    expect(() => fitFeatureEncodings(table, ['age'], trainRows, 1)).toThrow('column "age" is not in the table (it has: x, constant, colour, y)');
  });
});

describe('buildDesignMatrix', () => {
  const encodings = fitFeatureEncodings(table, ['colour', 'x'], trainRows, 1);
  const design = buildDesignMatrix(table, encodings, Uint32Array.of(0, 2, 3, 4));

  it('counts one encoded column per numeric feature and per kept category, in feature order', () => {
    expect(design.width).toBe(4);
    expect(encodedWidth(encodings)).toBe(4);
    expect(encodedColumnNames(encodings)).toEqual(['colour=blue', 'colour=red', 'colour=violet', 'x']);
    expect(Array.from(design.numericColumn)).toEqual([3]);
  });

  it('standardises numeric values and encodes a missing one as the mean (0)', () => {
    const { mean, std } = encodings[1] as { mean: number; std: number };
    expect(Array.from(design.numeric)).toEqual([(1 - mean) / std, 0, (5 - mean) / std, (100 - mean) / std]);
  });

  it('points each row at its hot column, and missing or unseen categories at the always-zero slot', () => {
    // red → column 1; missing and green (not seen in training) → width.
    expect(Array.from(design.hot)).toEqual([1, 1, design.width, design.width]);
  });
});

describe('numericValues', () => {
  it('reads a text column whose values are numbers, blank as missing', () => {
    const text = tableOf({ v: ['1.5', ' ', '-2', null] });
    expect(Array.from(numericValues(text.columns[0]!, 'v'))).toEqual([1.5, Number.NaN, -2, Number.NaN]);
  });

  it('rejects text that is not a number, naming the feature, the value and the row', () => {
    const text = tableOf({ v: ['1', 'abc'] });
    expect(() => numericValues(text.columns[0]!, 'v')).toThrow(FeatureTypeError);
    expect(() => numericValues(text.columns[0]!, 'v')).toThrow('feature "v" must be a number (or true/false, or missing), got the text "abc" in row 2');
  });
});
