import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Column, Table } from '../../../src/data/table.js';
import { compareProfiles } from '../../../src/drift/compare.js';
import type { DriftProfile, NumericColumnProfile } from '../../../src/drift/profile.js';
import { profileFromPredictionLog, profileFromTable } from '../../../src/drift/window-profile.js';
import type { PredictionRecord } from '../../../src/serving/gateway-contract.js';
import { PredictionLog } from '../../../src/serving/prediction-log.js';

const MODEL = 'fraud-detector';
const HOUR = 3_600_000;
const START = Date.UTC(2026, 2, 1, 22); // the window crosses midnight: two date partitions
const ROWS = 3_000;
const REGIONS = ['eu', 'us', 'apac'];

/** Row i: at START + i seconds (so 0..2999 s, hours 22, 23 and 00 of the next day). */
function features(i: number): PredictionRecord['features'] {
  return {
    amount: i % 17 === 0 ? null : Math.round(((i * 7919) % 10_007) * 1.37) / 100,
    items: i % 5,
    is_new: i % 3 === 0,
    region: i % 23 === 0 ? null : REGIONS[i % 3]!,
  };
}

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-drift-window-'));
  const log = new PredictionLog({ dataDir, flushIntervalMs: 60_000, flushRows: 1_000 });
  await log.open();
  for (let i = 0; i < ROWS; i++) {
    log.append({ requestId: `r${i}`, timestamp: START + i * 1000, model: MODEL, version: 1, status: 200, latencyMs: 2, score: 0.5, features: features(i) });
  }
  // A record of another model and one outside the window: neither may count.
  log.append({ requestId: 'other', timestamp: START, model: 'other-model', version: 1, status: 200, latencyMs: 1, score: 0.1, features: { amount: 1e9 } });
  await log.close();
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** The same rows as a Table, for the reference path. */
function tableOfRows(from: number, to: number): Table {
  const rows = Array.from({ length: to - from }, (_, k) => features(from + k));
  const numeric = (name: string, f: (r: PredictionRecord['features']) => number): Column => ({ name, kind: 'numeric', sourceType: 'DOUBLE', values: Float64Array.from(rows, f) });
  const dictionary = [...REGIONS];
  return {
    rowCount: rows.length,
    columns: [
      numeric('amount', (r) => (r.amount === null ? Number.NaN : (r.amount as number))),
      numeric('items', (r) => r.items as number),
      numeric('is_new', (r) => (r.is_new ? 1 : 0)),
      { name: 'region', kind: 'categorical', sourceType: 'VARCHAR', dictionary, codes: Int32Array.from(rows, (r) => (r.region === null ? -1 : dictionary.indexOf(r.region as string))) },
    ],
  };
}

const FEATURES = ['amount', 'items', 'is_new', 'region'];
const context = { model: MODEL, version: 1, window: { from: '', to: '' }, generatedAt: '2026-03-02T00:00:00.000Z' };

function withoutTimes(profile: DriftProfile) {
  return profile.features;
}

describe('profileFromPredictionLog', () => {
  it('reads a window across partitions exactly like the Table path when it fits the sample', async () => {
    const from = 500;
    const to = 2_700;
    const logged = await profileFromPredictionLog(dataDir, MODEL, START + from * 1000, START + to * 1000, FEATURES);
    expect(logged.rows).toBe(to - from);
    expect(logged.source).toMatchObject({ kind: 'prediction-log', model: MODEL, from: new Date(START + from * 1000).toISOString() });
    expect(logged.features.map((f) => [f.name, f.kind])).toEqual([['amount', 'numeric'], ['items', 'numeric'], ['is_new', 'numeric'], ['region', 'categorical']]);
    const table = profileFromTable(tableOfRows(from, to), FEATURES);
    expect(withoutTimes(logged)).toEqual(withoutTimes(table));
  });

  it('gives the same drift report as the Table path for a small window', async () => {
    const reference = profileFromTable(tableOfRows(0, 1_000), FEATURES);
    const logged = await profileFromPredictionLog(dataDir, MODEL, START + 1_000_000, START + 3_000_000, FEATURES);
    const fromLog = compareProfiles(reference, logged, context);
    const fromTable = compareProfiles(reference, profileFromTable(tableOfRows(1_000, 3_000), FEATURES), context);
    expect(fromLog).toEqual(fromTable);
  });

  it('profiles a window larger than the sample with aggregates: exact counts, moments and value counts, sketched quantiles', async () => {
    const options = { sampleSize: 500, quantileCount: 100 };
    const logged = await profileFromPredictionLog(dataDir, MODEL, START, START + ROWS * 1000, FEATURES, options);
    const exact = profileFromTable(tableOfRows(0, ROWS), FEATURES, options);
    const amount = logged.features[0] as NumericColumnProfile;
    const amountExact = exact.features[0] as NumericColumnProfile;
    expect(amount).toMatchObject({ rows: ROWS, missing: amountExact.missing, count: amountExact.count, min: amountExact.min, max: amountExact.max, sampleComplete: false });
    expect(amount.mean).toBeCloseTo(amountExact.mean, 9);
    expect(amount.sumSquaredDeviations / amountExact.sumSquaredDeviations).toBeCloseTo(1, 9);
    expect(amount.distinct).toBeUndefined();
    expect(amount.quantiles).toHaveLength(101);
    // 500-value reservoir: the median is within a few percent of the range
    expect(Math.abs(amount.quantiles[50]! - amountExact.quantiles[50]!)).toBeLessThan(0.06 * (amountExact.max - amountExact.min));
    // Few distinct values and categories: exact at any size.
    for (const i of [1, 2, 3]) {
      const { sample: _s, sampleComplete: _c, quantiles: _q, ...rest } = logged.features[i] as NumericColumnProfile;
      const { sample: _s2, sampleComplete: _c2, quantiles: _q2, ...restExact } = exact.features[i] as NumericColumnProfile;
      expect(rest, FEATURES[i]).toMatchObject(i === 3 ? restExact : { ...restExact, mean: expect.closeTo(restExact.mean, 12), sumSquaredDeviations: expect.closeTo(restExact.sumSquaredDeviations, 6) });
    }
  });

  it('reports features nobody logged as all missing, and an empty log as an empty profile', async () => {
    const logged = await profileFromPredictionLog(dataDir, MODEL, START, START + HOUR, ['amount', { name: 'device', kind: 'categorical' }]);
    expect(logged.features[1]).toMatchObject({ name: 'device', kind: 'categorical', rows: 3_600 > ROWS ? ROWS : 3_600, missing: logged.rows, count: 0 });
    const none = await profileFromPredictionLog(dataDir, 'never-served', START, START + HOUR, ['amount']);
    expect(none.rows).toBe(0);
    expect(none.features[0]).toMatchObject({ name: 'amount', kind: 'numeric', count: 0, rows: 0 });
  });

  it('takes the kind from the reference when given feature specs (a boolean read as a category)', async () => {
    const logged = await profileFromPredictionLog(dataDir, MODEL, START, START + 600_000, [{ name: 'is_new', kind: 'categorical' }]);
    expect(logged.features[0]).toMatchObject({ kind: 'categorical', categories: ['false', 'true'], counts: [400, 200] });
  });
});
