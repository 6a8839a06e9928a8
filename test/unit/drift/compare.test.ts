import { describe, expect, it } from 'vitest';
import type { Column, Table } from '../../../src/data/table.js';
import { defaultTest, resolveTest } from '../../../src/drift/column-drift.js';
import { compareProfiles } from '../../../src/drift/compare.js';
import { DriftOptions, isDrift } from '../../../src/drift/drift-options.js';
import type { DriftTest } from '../../../src/drift/drift-report.js';
import { profileFromTable } from '../../../src/drift/window-profile.js';

const context = { model: 'm', version: 3, window: { from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' } };

function numeric(name: string, values: ArrayLike<number>): Column {
  return { name, kind: 'numeric', sourceType: 'DOUBLE', values: Float64Array.from(values) };
}

function categorical(name: string, values: readonly (string | null)[]): Column {
  const dictionary = [...new Set(values.filter((v): v is string => v !== null))];
  return { name, kind: 'categorical', sourceType: 'VARCHAR', dictionary, codes: Int32Array.from(values, (v) => (v === null ? -1 : dictionary.indexOf(v))) };
}

function table(...columns: Column[]): Table {
  const first = columns[0]!;
  return { rowCount: first.kind === 'numeric' ? first.values.length : first.codes.length, columns };
}

const range = <T,>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

describe("Evidently's verdict rules", () => {
  it.each([
    ['ks', 0.05, 0.05, true], ['ks', 0.0500001, 0.05, false],
    ['chisquare', 0.05, 0.05, false], ['chisquare', 0.0499999, 0.05, true],
    ['z', 0.05, 0.05, false], ['z', 0.0499999, 0.05, true],
    ['wasserstein', 0.1, 0.1, true], ['jensenshannon', 0.0999999, 0.1, false], ['psi', 0.2, 0.1, true], ['kl', 0.1, 0.1, true],
  ] as [DriftTest, number, number, boolean][])('%s: %f against %f drifts: %s', (test, value, threshold, drifted) => {
    expect(isDrift(test, value, threshold)).toBe(drifted);
  });

  it.each([
    ['numeric', 1000, 6, 'ks'], ['numeric', 1000, 5, 'chisquare'], ['numeric', 1000, 3, 'chisquare'], ['numeric', 1000, 2, 'z'], ['numeric', 12, 1, 'z'],
    ['numeric', 1001, 6, 'wasserstein'], ['numeric', 1001, 5, 'jensenshannon'], ['numeric', 1001, 1, 'jensenshannon'],
    ['categorical', 1000, 3, 'chisquare'], ['categorical', 1000, 2, 'z'], ['categorical', 1001, 500, 'jensenshannon'],
  ] as const)('default test: %s column, %i reference values, %i distinct → %s', (kind, referenceCount, unique, test) => {
    expect(defaultTest(kind, referenceCount, unique)).toBe(test);
  });

  it('resolves test and threshold per column > per kind > global > default', () => {
    const options = DriftOptions.parse({
      method: 'psi', threshold: 0.3,
      kinds: { numeric: { method: 'kl', threshold: 0.2 } },
      columns: { a: { method: 'ks', threshold: 0.01 }, b: { threshold: 0.4 } },
    });
    expect(resolveTest('a', 'numeric', options, () => 'wasserstein')).toEqual({ test: 'ks', threshold: 0.01 });
    expect(resolveTest('b', 'numeric', options, () => 'wasserstein')).toEqual({ test: 'kl', threshold: 0.4 });
    expect(resolveTest('c', 'numeric', options, () => 'wasserstein')).toEqual({ test: 'kl', threshold: 0.2 });
    expect(resolveTest('c', 'categorical', options, () => 'jensenshannon')).toEqual({ test: 'psi', threshold: 0.3 });
    const defaults = DriftOptions.parse({ method: 'auto' });
    expect(resolveTest('c', 'categorical', defaults, () => 'chisquare')).toEqual({ test: 'chisquare', threshold: 0.05 });
    expect(resolveTest('c', 'numeric', defaults, () => 'wasserstein')).toEqual({ test: 'wasserstein', threshold: 0.1 });
  });

  it('rejects unknown options with their path', () => {
    expect(() => DriftOptions.parse({ columns: { a: { method: 'anderson' } } })).toThrow(/columns/);
    expect(() => DriftOptions.parse({ thresholds: 0.1 })).toThrow(/thresholds/);
  });
});

describe('compareProfiles beyond Evidently', () => {
  const reference = table(
    numeric('amount', range(2000, (i) => (i % 7 === 0 ? Number.NaN : (i * 37) % 1000))),
    categorical('region', range(2000, (i) => ['eu', 'us', 'apac'][i % 3]!)),
    numeric('age', range(2000, (i) => 18 + (i % 60))),
  );

  it('reports a column empty after cleaning as an error of that column only, and keeps the dataset verdict on the others', () => {
    const current = table(
      numeric('amount', range(500, () => Number.POSITIVE_INFINITY)),
      categorical('region', range(500, (i) => ['eu', 'us', 'apac'][i % 3]!)),
      numeric('age', range(500, (i) => 40 + (i % 60))),
    );
    const report = compareProfiles(profileFromTable(reference, ['amount', 'region', 'age']), profileFromTable(current, ['amount', 'region', 'age']), context);
    const amount = report.columns.find((c) => c.column === 'amount')!;
    expect(amount).toMatchObject({ drifted: null, statistic: null, pValue: null, error: 'no values in the current window after dropping missing values (null, NaN, ±inf)' });
    expect(report.evaluated).toBe(2);
    expect(report.drifted).toBe(1); // age moved by 22 years
    expect(report.share).toBe(0.5);
    expect(report.datasetDrift).toBe(true);
    expect(report.findings).toContainEqual({ kind: 'column-error', column: 'amount', detail: amount.error, severity: 'critical' });
    expect(report.findings).toContainEqual(expect.objectContaining({ kind: 'missing-share-shift', column: 'amount', severity: 'critical' }));
  });

  it('finds missing-value shifts and unseen categories, with their size', () => {
    const current = table(
      numeric('amount', range(1000, (i) => (i % 5 === 0 ? Number.NaN : (i * 37) % 1000))),
      categorical('region', range(1000, (i) => (i % 50 === 0 ? 'latam' : i % 100 === 1 ? 'mena' : i % 25 === 3 ? null : ['eu', 'us', 'apac'][i % 3]!))),
      numeric('age', range(1000, (i) => 18 + (i % 60))),
    );
    const report = compareProfiles(profileFromTable(reference, ['amount', 'region', 'age']), profileFromTable(current, ['amount', 'region', 'age']), context);
    expect(report.findings).toEqual([
      { kind: 'missing-share-shift', column: 'amount', detail: 'missing values (null, NaN, ±inf) 14.3% of reference rows → 20.0% of current rows', severity: 'warning' },
      { kind: 'new-category', column: 'region', detail: '2 categories not in the reference: "latam", "mena" (3.1% of current rows)', severity: 'critical' },
    ]);
    // Evidently's chi-square on a category the reference never had: infinite statistic, p = 0.
    const region = report.columns.find((c) => c.column === 'region')!;
    expect(region).toMatchObject({ test: 'jensenshannon' });
    const forced = compareProfiles(profileFromTable(reference, ['region']), profileFromTable(current, ['region']), { ...context, method: 'chisquare' });
    expect(forced.columns[0]).toMatchObject({ test: 'chisquare', statistic: null, pValue: 0, drifted: true });
  });

  it('reports a test that does not apply to a column (KS on categories) as that column\'s error', () => {
    const report = compareProfiles(profileFromTable(reference, ['region', 'age']), profileFromTable(reference, ['region', 'age']), { ...context, method: 'ks' });
    expect(report.columns[0]).toMatchObject({ column: 'region', test: 'ks', drifted: null, error: 'ks applies to numeric columns only' });
    expect(report.columns[1]).toMatchObject({ column: 'age', test: 'ks', drifted: false, pValue: 1 });
    expect(report.evaluated).toBe(1);
  });

  it('reports a feature the current window lacks, or with another kind, as an error', () => {
    const current = table(numeric('region', range(100, (i) => i)), numeric('age', range(100, (i) => 18 + (i % 60))));
    const report = compareProfiles(profileFromTable(reference, ['amount', 'region', 'age']), profileFromTable(current, ['region', 'age']), context);
    expect(report.columns.map((c) => [c.column, c.error])).toEqual([
      ['amount', 'not in the current window (no such feature was logged)'],
      ['region', 'categorical in the reference but numeric in the current window'],
      ['age', undefined],
    ]);
  });

  it('gives the report what the page draws: shared histogram edges, shares summing to 1, moments', () => {
    const current = table(numeric('amount', range(800, (i) => 200 + ((i * 41) % 1500))), categorical('region', range(800, (i) => ['eu', 'us'][i % 2]!)), numeric('age', range(800, (i) => 18 + (i % 4))));
    const report = compareProfiles(profileFromTable(reference, ['amount', 'region', 'age']), profileFromTable(current, ['amount', 'region', 'age']), { ...context, chartBins: 10 });
    const [amount, region, age] = report.columns;
    expect(amount!.reference.histogram.edges).toEqual(amount!.current.histogram.edges);
    expect(amount!.reference.histogram.edges).toHaveLength(11);
    expect(amount!.reference.histogram.edges![0]).toBe(0);
    expect(amount!.reference.histogram.edges![10]).toBe(1699);
    for (const column of [amount!, region!]) {
      for (const side of [column.reference, column.current]) expect(side.histogram.shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
    expect(region!.reference.histogram.categories).toEqual(region!.current.histogram.categories);
    expect(age!.current.histogram.categories).toBeUndefined(); // 60 distinct values in the reference: bins, not categories
    expect(amount!.reference).toMatchObject({ count: 1714, min: 0, max: 999 });
    expect(amount!.reference.nullShare).toBeCloseTo(286 / 2000, 15);
    expect(report).toMatchObject({ model: 'm', version: 3, referenceRows: 2000, currentRows: 800, datasetThreshold: 0.5 });
  });
});

describe('psi_reference_quantiles: bins from the reference alone', () => {
  const reference = table(numeric('x', range(1000, (i) => i)));
  const referenceProfile = profileFromTable(reference, ['x']);

  it('cuts at the reference deciles, so everything in the first decile gives the closed-form PSI', () => {
    const current = profileFromTable(table(numeric('x', range(300, (i) => i % 90))), ['x']);
    const report = compareProfiles(referenceProfile, current, { ...context, method: 'psi_reference_quantiles' });
    // Reference: 0.1 per decile. Current: 1 in the first, 0 elsewhere, zero-filled with 1e-4.
    const expected = (0.1 - 1) * Math.log(0.1 / 1) + 9 * (0.1 - 1e-4) * Math.log(0.1 / 1e-4);
    expect(report.columns[0]!.statistic).toBeCloseTo(expected, 12);
    expect(report.columns[0]).toMatchObject({ test: 'psi_reference_quantiles', threshold: 0.1, drifted: true, pValue: null });
  });

  it('keeps its bins when the current window adds far outliers, where Sturges bins stretch and hide a shift', () => {
    const shifted = range(1000, (i) => 150 + ((i * 7) % 1000));
    const withOutliers = [...shifted.slice(0, 995), 1e6, 2e6, 3e6, 4e6, 5e6];
    const psi = (values: number[], method: 'psi' | 'psi_reference_quantiles') =>
      compareProfiles(referenceProfile, profileFromTable(table(numeric('x', values)), ['x']), { ...context, method }).columns[0]!;
    const quantile = [psi(shifted, 'psi_reference_quantiles'), psi(withOutliers, 'psi_reference_quantiles')];
    const sturges = [psi(shifted, 'psi'), psi(withOutliers, 'psi')];
    expect(quantile.map((c) => c.drifted)).toEqual([true, true]);
    expect(Math.abs(quantile[1]!.statistic! - quantile[0]!.statistic!)).toBeLessThan(0.02);
    expect(sturges.map((c) => c.drifted)).toEqual([true, false]);
  });
});

describe('windows larger than the profile keeps', () => {
  const values = (n: number, shift: number) => range(n, (i) => shift + Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453));
  const reference = table(numeric('x', values(20_000, 0)), numeric('few', range(20_000, (i) => i % 4)), categorical('c', range(20_000, (i) => `k${i % 9}`)));
  const current = table(numeric('x', values(30_000, 0.05)), numeric('few', range(30_000, (i) => (i % 5 === 0 ? 0 : i % 4))), categorical('c', range(30_000, (i) => `k${(i * 7) % 10}`)));
  const features = ['x', 'few', 'c'];
  const exact = compareProfiles(profileFromTable(reference, features), profileFromTable(current, features), context);
  const sketched = compareProfiles(profileFromTable(reference, features, { sampleSize: 2_000 }), profileFromTable(current, features, { sampleSize: 2_000 }), context);

  it('flags statistics of sketched columns as approximate and keeps them close to the exact ones', () => {
    const [x] = sketched.columns;
    expect(x).toMatchObject({ test: 'wasserstein', approximate: true });
    expect(exact.columns[0]!.approximate).toBeUndefined();
    // 1,001 exact quantiles per side: the quantile-function integral is within 0.5% of the exact distance.
    expect(Math.abs(x!.statistic! - exact.columns[0]!.statistic!) / exact.columns[0]!.statistic!).toBeLessThan(0.005);
  });

  it('stays exact for columns with few distinct values and for categories, at any size', () => {
    for (const i of [1, 2]) {
      expect(sketched.columns[i]!.approximate).toBeUndefined();
      expect(sketched.columns[i]!.statistic).toBe(exact.columns[i]!.statistic);
    }
  });
});
