import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/data/seeded-random.js';
import { holdoutSplit } from '../../../src/data/split.js';

/** 0/1 labels with `positives` ones spread through `rows` rows. */
function labels(rows: number, positives: number): Float64Array {
  const values = new Float64Array(rows);
  for (let i = 0; i < positives; i++) values[Math.floor((i * rows) / positives)] = 1;
  return values;
}

function count(rows: Uint32Array, labelValues: Float64Array, label: number): number {
  return rows.filter((row) => labelValues[row] === label).length;
}

describe('mulberry32', () => {
  it('produces the reference sequence for seed 1', () => {
    const random = mulberry32(1);
    expect([random(), random(), random()]).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
  });
});

describe('holdoutSplit', () => {
  it('gives the same split for the same labels, share and seed (pinned, so it holds on any machine)', () => {
    const split = holdoutSplit(new Float64Array([0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]), 0.25, 42);
    expect(Array.from(split.train)).toEqual([0, 1, 3, 5, 6, 7, 8, 9, 11]);
    expect(Array.from(split.holdout)).toEqual([2, 4, 10]);
  });

  it('is deterministic for a seed and changes with the seed', () => {
    const y = labels(10_000, 300);
    expect(holdoutSplit(y, 0.2, 7)).toEqual(holdoutSplit(y, 0.2, 7));
    expect(holdoutSplit(y, 0.2, 7).holdout).not.toEqual(holdoutSplit(y, 0.2, 8).holdout);
  });

  it('preserves the class balance in both parts (stratified)', () => {
    const y = labels(10_000, 300);
    const { train, holdout } = holdoutSplit(y, 0.2, 1);
    expect(count(holdout, y, 1)).toBe(60);
    expect(count(holdout, y, 0)).toBe(1940);
    expect(count(train, y, 1)).toBe(240);
    expect(count(train, y, 0)).toBe(7760);
  });

  it('returns disjoint, ascending index sets that cover every row', () => {
    const y = labels(5_000, 123);
    const { train, holdout } = holdoutSplit(y, 0.3, 99);
    const isAscending = (rows: Uint32Array) => rows.every((row, i) => i === 0 || row > rows[i - 1]!);
    expect(isAscending(train) && isAscending(holdout)).toBe(true);
    const all = [...train, ...holdout].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 5_000 }, (_, i) => i));
  });

  it('treats missing labels (NaN) as a class of their own', () => {
    const y = new Float64Array([0, Number.NaN, 1, 0, Number.NaN, 1, 0, Number.NaN, 1, 0]);
    const { holdout } = holdoutSplit(y, 0.34, 3);
    expect(holdout.filter((row) => Number.isNaN(y[row]!))).toHaveLength(1);
    expect(holdout).toHaveLength(3); // round(4 × 0.34) + 2 × round(3 × 0.34)
  });

  it('rejects a share outside (0, 1)', () => {
    expect(() => holdoutSplit(labels(10, 2), 0, 1)).toThrow(RangeError);
    expect(() => holdoutSplit(labels(10, 2), 1, 1)).toThrow('hold-out share must be between 0 and 1 (exclusive), got 1');
  });
});
