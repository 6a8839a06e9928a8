/**
 * Beyond sampleSize the Wasserstein distance comes from quantile grids. Invariant checked here:
 * the reported interval always contains the exact distance (the one every value gives), whether
 * one side or both are sketched; a column whose interval contains the threshold is undecided and,
 * given every value, compared exactly instead of guessed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Table } from '../../../src/data/table.js';
import { mulberry32 } from '../../../src/data/seeded-random.js';
import { compareProfiles } from '../../../src/drift/compare.js';
import { compareResolvingUndecided, EVERY_VALUE } from '../../../src/drift/exact-fallback.js';
import { NumericDistribution } from '../../../src/drift/numeric-distribution.js';
import { wassersteinBounds, wassersteinDistance } from '../../../src/drift/numeric-tests.js';
import type { NumericColumnProfile, ProfileOptions } from '../../../src/drift/profile.js';
import { profileFromTable } from '../../../src/drift/reference-profile.js';

function tableOf(columns: Record<string, Float64Array>): Table {
  const entries = Object.entries(columns);
  return { rowCount: entries[0]![1].length, columns: entries.map(([name, values]) => ({ name, kind: 'numeric', sourceType: 'DOUBLE', values })) };
}

function column(values: Float64Array, options: Partial<ProfileOptions>): NumericColumnProfile {
  return profileFromTable(tableOf({ x: values }), ['x'], options).features[0] as NumericColumnProfile;
}

/** Normal, log-normal, a mixture with outliers or wide-gapped integers: shapes whose tails stress a grid. */
function sample(shape: number, n: number, shift: number, seed: number): Float64Array {
  const random = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Float64Array.from({ length: n }, () => {
    if (shape === 0) return normal() + shift;
    if (shape === 1) return Math.exp(0.8 * normal() + shift);
    if (shape === 3) return Math.round(3 * normal()) * 1000 + shift; // few values, many ties, wide gaps
    return (random() < 0.9 ? normal() : 50 + 10 * normal()) + shift;
  });
}

describe('wassersteinBounds', () => {
  it('contains the exact distance for sketched-vs-sketched and sketched-vs-exact columns', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }), fc.integer({ min: 202, max: 4000 }), fc.integer({ min: 202, max: 4000 }),
        fc.double({ min: -5, max: 5, noNaN: true }), fc.integer(), fc.boolean(),
        (shape, n1, n2, shift, seed, referenceExact) => {
          const a = sample(shape, n1, 0, seed);
          const b = sample(shape, n2, shift, seed + 1);
          const sketch = { sampleSize: 100, quantileCount: 100 };
          const exact = new NumericDistribution(column(a, { sampleSize: EVERY_VALUE, quantileCount: 100 }));
          const exactB = new NumericDistribution(column(b, { sampleSize: EVERY_VALUE, quantileCount: 100 }));
          const truth = wassersteinDistance(exact, exactB);
          expect(truth.approximate).toBe(false);
          const reference = referenceExact ? exact : new NumericDistribution(column(a, sketch));
          const current = new NumericDistribution(column(b, sketch));
          const bounds = wassersteinBounds(reference, current)!;
          expect(bounds).toBeDefined();
          const slack = 1e-12 * Math.max(1, truth.value);
          expect(bounds.low).toBeLessThanOrEqual(truth.value + slack);
          expect(bounds.high).toBeGreaterThanOrEqual(truth.value - slack);
          const estimate = wassersteinDistance(reference, current).value;
          expect(estimate).toBeGreaterThanOrEqual(bounds.low - slack);
          expect(estimate).toBeLessThanOrEqual(bounds.high + slack);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('gives no bounds when a sketch has too few values for the guarantee', () => {
    const small = new NumericDistribution(column(sample(0, 150, 0, 1), { sampleSize: 100, quantileCount: 100 }));
    const other = new NumericDistribution(column(sample(0, 5000, 0, 2), { sampleSize: 100, quantileCount: 100 }));
    expect(wassersteinBounds(small, other)).toBeUndefined();
  });
});

describe('undecided columns are compared from every value', () => {
  const sketch = { sampleSize: 1_000, quantileCount: 100 };
  // A shift near the 0.1 threshold (normalised by the reference's std): the sketch cannot tell.
  const referenceValues = sample(0, 20_000, 0, 5);
  const currentValues = sample(0, 20_000, 0.1, 6);
  const reference = profileFromTable(tableOf({ x: referenceValues }), ['x'], sketch);
  const current = profileFromTable(tableOf({ x: currentValues }), ['x'], sketch);
  const options = { model: 'm', version: 1, window: { from: 'a', to: 'b' } };

  it('marks the column undecided from the sketches, and gives the exact verdict once every value is read', async () => {
    const sketched = compareProfiles(reference, current, options).columns[0]!;
    expect(sketched).toMatchObject({ test: 'wasserstein', approximate: true, undecided: true });
    expect(sketched.interval![0]).toBeLessThan(0.1);
    expect(sketched.interval![1]).toBeGreaterThanOrEqual(0.1);
    const asked: string[] = [];
    const resolved = await compareResolvingUndecided(reference, current, options, {
      reference: async (features) => (asked.push(`reference:${features.map((f) => f.name)}`), profileFromTable(tableOf({ x: referenceValues }), ['x'], { ...sketch, sampleSize: EVERY_VALUE })),
      current: async (features) => (asked.push(`current:${features.map((f) => f.name)}`), profileFromTable(tableOf({ x: currentValues }), ['x'], { ...sketch, sampleSize: EVERY_VALUE })),
    });
    const exact = compareProfiles(
      profileFromTable(tableOf({ x: referenceValues }), ['x'], { ...sketch, sampleSize: EVERY_VALUE }),
      profileFromTable(tableOf({ x: currentValues }), ['x'], { ...sketch, sampleSize: EVERY_VALUE }),
      options,
    ).columns[0]!;
    expect(asked).toEqual(['reference:x', 'current:x']);
    expect(resolved.columns[0]).toEqual(exact);
    expect(resolved.columns[0]!.approximate).toBeUndefined();
    expect(resolved.columns[0]!.statistic).toBeGreaterThanOrEqual(sketched.interval![0]);
    expect(resolved.columns[0]!.statistic).toBeLessThanOrEqual(sketched.interval![1]);
  });

  it('keeps the column undecided, with its bounds, when the reference values are gone', async () => {
    const resolved = await compareResolvingUndecided(reference, current, options, {
      reference: async () => undefined,
      current: async () => { throw new Error('not asked: the reference side decides first'); },
    });
    expect(resolved.columns[0]).toMatchObject({ approximate: true, undecided: true });
  });

  it('asks for nothing when the bounds decide every column', async () => {
    const far = profileFromTable(tableOf({ x: sample(0, 20_000, 2, 7) }), ['x'], sketch);
    const never = async (): Promise<never> => { throw new Error('not asked'); };
    const report = await compareResolvingUndecided(reference, far, options, { reference: never, current: never });
    expect(report.columns[0]).toMatchObject({ approximate: true, drifted: true });
    expect(report.columns[0]!.undecided).toBeUndefined();
  });
});
