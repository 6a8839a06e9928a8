import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Column, Table } from '../../../src/data/table.js';
import { mergeProfiles } from '../../../src/drift/merge-profiles.js';
import { ProfileError, resolveProfileOptions, type CategoricalColumnProfile, type NumericColumnProfile } from '../../../src/drift/profile.js';
import { parseProfile, serializeProfile } from '../../../src/drift/profile-file.js';
import {
  attachReferenceProfile, buildReferenceProfile, downloadReferenceProfile, readProfile, REFERENCE_PROFILE_ATTACHMENT, writeProfile,
} from '../../../src/drift/reference-profile.js';
import { EmbeddedRegistry } from '../../../src/registry/embedded-registry.js';
import { makeTempDir, newVersion, writeArtifact } from '../../support/registry-fixtures.js';

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

describe('buildReferenceProfile', () => {
  const data = table(
    numeric('x', [3, Number.NaN, 1, Number.POSITIVE_INFINITY, 2, 2, Number.NEGATIVE_INFINITY, 5]),
    categorical('c', ['b', 'a', null, 'b', 'b', 'a', 'c', null]),
  );

  it('counts missing values (null, NaN, ±inf) apart and keeps every finite value when they fit the sample', () => {
    const profile = buildReferenceProfile(data, ['x', 'c']);
    const x = profile.features[0] as NumericColumnProfile;
    expect(x).toMatchObject({ rows: 8, missing: 3, count: 5, min: 1, max: 5, mean: 2.6, sampleComplete: true });
    expect(x.sumSquaredDeviations).toBeCloseTo(9.2, 14);
    expect([...x.sample]).toEqual([1, 2, 2, 3, 5]);
    expect([...x.distinct!.values]).toEqual([1, 2, 3, 5]);
    expect([...x.distinct!.counts]).toEqual([1, 2, 1, 1]);
    // numpy.quantile(…, i/1000), method 'linear'
    expect(x.quantiles).toHaveLength(1001);
    expect([x.quantiles[0], x.quantiles[250], x.quantiles[500], x.quantiles[875], x.quantiles[1000]]).toEqual([1, 2, 2, 4, 5]);
    const c = profile.features[1] as CategoricalColumnProfile;
    expect(c).toMatchObject({ rows: 8, missing: 2, count: 6, categories: ['b', 'a', 'c'], counts: [3, 2, 1], otherCount: 0, truncated: false });
  });

  it('keeps no values beyond sampleSize but the exact quantiles and moments of every value, the same on every run, and stops counting distinct values past the limit', () => {
    const big = table(numeric('x', range(50_000, (i) => (i * 7919) % 50_000)));
    const a = buildReferenceProfile(big, ['x'], { sampleSize: 1_000 }).features[0] as NumericColumnProfile;
    const b = buildReferenceProfile(big, ['x'], { sampleSize: 1_000 }).features[0] as NumericColumnProfile;
    const whole = buildReferenceProfile(big, ['x'], { sampleSize: 50_000 }).features[0] as NumericColumnProfile;
    expect(a.sampleComplete).toBe(false);
    expect(a.sample).toHaveLength(0);
    expect(whole.sampleComplete).toBe(true);
    expect(a).toEqual(b);
    expect(a.distinct).toBeUndefined();
    expect(a.quantiles[500]).toBe(24_999.5);
    expect(Array.from(a.quantiles)).toEqual(Array.from(whole.quantiles));
    expect([a.mean, a.sumSquaredDeviations, a.min, a.max]).toEqual([whole.mean, whole.sumSquaredDeviations, whole.min, whole.max]);
  });

  it('pools categories beyond maxCategories', () => {
    const many = table(categorical('c', range(100, (i) => `k${i % 10 < 6 ? i % 10 : 9 - (i % 2)}`)));
    const c = buildReferenceProfile(many, ['c'], { maxCategories: 3 }).features[0] as CategoricalColumnProfile;
    expect(c.categories).toHaveLength(3);
    expect(c.count).toBe(100);
    expect(c.otherCount).toBe(100 - c.counts.reduce((a, b) => a + b, 0));
    expect(c.truncated).toBe(true);
  });

  it('rejects unknown features and bad options with what to fix', () => {
    expect(() => buildReferenceProfile(data, ['x', 'amount'])).toThrow(/feature "amount" is not a column of the table \(columns: x, c\)/);
    expect(() => resolveProfileOptions({ maxDistinctNumeric: 20 })).toThrow(/maxDistinctNumeric: expected an integer ≥ 21, got 20/);
    expect(() => resolveProfileOptions({ sampleSize: 0 })).toThrow(/sampleSize/);
  });
});

describe('mergeProfiles', () => {
  const values = range(6_000, (i) => (i % 11 === 0 ? Number.NaN : Math.sin(i) * 100 + (i % 13)));
  const groups = range(6_000, (i) => (i % 9 === 0 ? null : `g${i % 4}`));
  const whole = table(numeric('x', values), categorical('g', groups));
  const slice = (from: number, to: number) => table(numeric('x', values.slice(from, to)), categorical('g', groups.slice(from, to)));

  it('merges hours into a day exactly while the values fit the sample', () => {
    const hours = [0, 1_000, 2_500, 6_000].slice(1).map((end, i, ends) => buildReferenceProfile(slice(i === 0 ? 0 : ends[i - 1]!, end), ['x', 'g']));
    const day = hours.reduce((a, b) => mergeProfiles(a, b));
    const direct = buildReferenceProfile(whole, ['x', 'g']);
    const [x, g] = day.features as [NumericColumnProfile, CategoricalColumnProfile];
    const [dx, dg] = direct.features as [NumericColumnProfile, CategoricalColumnProfile];
    expect(day.rows).toBe(6_000);
    expect(x.sample).toEqual(dx.sample);
    expect(x.quantiles).toEqual(dx.quantiles);
    expect({ ...x, mean: 0, sumSquaredDeviations: 0 }).toEqual({ ...dx, mean: 0, sumSquaredDeviations: 0 });
    expect(x.mean).toBeCloseTo(dx.mean, 12);
    expect(x.sumSquaredDeviations / dx.sumSquaredDeviations).toBeCloseTo(1, 12);
    expect(g).toEqual(dg);
    expect(day.source.kind).toBe('merged');
  });

  it('merges sketches when the values do not fit: counts and moments exact, quantiles close', () => {
    const options = { sampleSize: 500 };
    const left = buildReferenceProfile(slice(0, 2_000), ['x'], options);
    const right = buildReferenceProfile(slice(2_000, 6_000), ['x'], options);
    const merged = mergeProfiles(left, right).features[0] as NumericColumnProfile;
    const direct = buildReferenceProfile(whole, ['x'], options).features[0] as NumericColumnProfile;
    expect(merged).toMatchObject({ rows: 6_000, missing: direct.missing, count: direct.count, min: direct.min, max: direct.max, sampleComplete: false });
    expect(merged.sample).toHaveLength(0);
    expect(merged.mean).toBeCloseTo(direct.mean, 10);
    for (const i of [10, 100, 250, 500, 750, 900, 990]) {
      expect(Math.abs(merged.quantiles[i]! - direct.quantiles[i]!), `quantile ${i / 1000}`).toBeLessThan(0.5);
    }
  });

  it('treats a feature absent from one profile as missing there, and refuses what cannot be merged', () => {
    const a = buildReferenceProfile(table(numeric('x', [1, 2]), numeric('y', [5, 6])), ['x', 'y']);
    const b = buildReferenceProfile(table(numeric('x', [3, 4, 5])), ['x']);
    const merged = mergeProfiles(a, b);
    expect(merged.features.map((f) => [f.name, f.rows, f.missing])).toEqual([['x', 5, 0], ['y', 5, 3]]);
    const c = buildReferenceProfile(table(categorical('x', ['a'])), ['x']);
    expect(() => mergeProfiles(a, c)).toThrow(new ProfileError('cannot merge column "x": numeric in one profile, categorical in the other'));
    const d = buildReferenceProfile(table(numeric('x', [1])), ['x'], { quantileCount: 100 });
    expect(() => mergeProfiles(a, d)).toThrow(/different quantileCount \(1000 and 100\)/);
  });
});

describe('profile files', () => {
  const data = table(
    numeric('x', range(300, (i) => (i % 10 === 0 ? Number.NaN : i / 7))),
    numeric('empty', range(300, () => Number.NaN)),
    categorical('c', range(300, (i) => (i % 4 === 0 ? null : `v${i % 3}`))),
  );

  it('round-trips exactly, NaN statistics of empty columns included', () => {
    const profile = buildReferenceProfile(data, ['x', 'empty', 'c']);
    const back = parseProfile(serializeProfile(profile));
    expect(back).toEqual(profile);
    expect((back.features[1] as NumericColumnProfile).mean).toBeNaN();
  });

  it('says what is wrong with a file that is not a profile', async () => {
    const { dir, cleanup } = await makeTempDir('drift-profile-');
    try {
      const file = path.join(dir, 'p.json');
      await writeProfile(buildReferenceProfile(data, ['x']), file);
      const json = JSON.parse(await readFile(file, 'utf8'));
      json.features[0].sample = 'abc';
      await writeFile(file, JSON.stringify(json));
      await expect(readProfile(file)).rejects.toThrow(/p\.json: not a drift profile \(mlops-drift-profile\/1\): features\.0\.sample: expected base64 of Float64 values/);
      await writeFile(file, '{');
      await expect(readProfile(file)).rejects.toThrow(/not JSON/);
    } finally {
      await cleanup();
    }
  });

  it('is kept with a registered version as reference-profile.json', async () => {
    const { dir, cleanup } = await makeTempDir('drift-profile-');
    const registry = await EmbeddedRegistry.open(path.join(dir, 'registry'), { actor: 'tester' });
    try {
      const version = await registry.registerVersion(newVersion(await writeArtifact(dir, '{}'), { model: 'churn' }));
      expect(await downloadReferenceProfile(registry, 'churn', version.version)).toBeUndefined();
      const profile = buildReferenceProfile(data, ['x', 'c']);
      await attachReferenceProfile(registry, 'churn', version.version, profile);
      expect((await registry.getVersion('churn', version.version))!.attachments[REFERENCE_PROFILE_ATTACHMENT]).toBeDefined();
      expect(await downloadReferenceProfile(registry, 'churn', version.version)).toEqual(profile);
    } finally {
      await registry.close();
      await cleanup();
    }
  });
});
