import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFraudDataset, generateFraudTable } from '../../../src/data/generate.js';
import { loadDataset } from '../../../src/data/load-dataset.js';
import { getColumn, type CategoricalColumn, type NumericColumn, type Table } from '../../../src/data/table.js';
import { makeTemporaryDirectory } from './duckdb-files.js';
import { trainLogisticRegression } from '../../../src/train/logistic-regression.js';
import { scoreRows } from '../../../src/train/predict.js';
import { BuiltinTrain } from '../../../src/spec/schema.js';
import { classificationMetrics } from '../../../src/evaluate/metrics.js';

let directory: { path: string; remove: () => Promise<void> };
const file = (name: string) => join(directory.path, name);
const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

const numericColumn = (table: Table, name: string) => getColumn(table, name) as NumericColumn;
const categoricalColumn = (table: Table, name: string) => getColumn(table, name) as CategoricalColumn;
const mean = (values: Float64Array) => values.reduce((sum, v) => sum + v, 0) / values.length;
const shareOf = (column: CategoricalColumn, value: string) => column.codes.filter((code) => column.dictionary[code] === value).length / column.codes.length;

const EXPECTED_COLUMNS = [
  ['transaction_id', 'VARCHAR'], ['amount', 'DOUBLE'], ['merchant_category', 'VARCHAR'], ['region', 'VARCHAR'], ['device_type', 'VARCHAR'],
  ['card_present', 'BOOLEAN'], ['is_international', 'BOOLEAN'], ['account_age_days', 'BIGINT'], ['hour_of_day', 'BIGINT'],
  ['distance_from_home_km', 'DOUBLE'], ['num_tx_last_24h', 'BIGINT'], ['avg_amount_30d', 'DOUBLE'], ['amount_to_avg_ratio', 'DOUBLE'],
  ['customer_age', 'BIGINT'], ['credit_limit', 'DOUBLE'], ['num_failed_logins_7d', 'BIGINT'], ['merchant_risk_score', 'DOUBLE'],
  ['days_since_last_tx', 'DOUBLE'], ['session_duration_sec', 'DOUBLE'], ['is_fraud', 'BIGINT'],
];

beforeAll(async () => {
  directory = await makeTemporaryDirectory('generate');
});

afterAll(() => directory.remove());

describe('generateFraudDataset', () => {
  it('writes byte-identical files for the same seed, and different ones for another seed', async () => {
    const options = { rows: 5_000, seed: 11 };
    await generateFraudDataset({ ...options, out: file('a.parquet') });
    await generateFraudDataset({ ...options, out: file('b.parquet') });
    await generateFraudDataset({ ...options, seed: 12, out: file('c.parquet') });
    await generateFraudDataset({ ...options, out: file('a.csv') });
    await generateFraudDataset({ ...options, out: file('b.csv') });
    expect(await sha256(file('a.parquet'))).toBe(await sha256(file('b.parquet')));
    expect(await sha256(file('a.parquet'))).not.toBe(await sha256(file('c.parquet')));
    expect(await sha256(file('a.csv'))).toBe(await sha256(file('b.csv')));
  });

  it('writes the documented columns with their types, and reports rows and positives', async () => {
    const result = await generateFraudDataset({ rows: 20_000, seed: 5, out: file('fraud.parquet'), compression: 'snappy' });
    const table = await loadDataset(file('fraud.parquet'));
    expect(table.columns.map((c) => [c.name, c.sourceType])).toEqual(EXPECTED_COLUMNS);
    expect(result).toEqual({ path: file('fraud.parquet'), rows: 20_000, positives: mean(numericColumn(table, 'is_fraud').values) * 20_000 });
    expect(result.positives / result.rows).toBeGreaterThan(0.025);
    expect(result.positives / result.rows).toBeLessThan(0.035);
  });

  it('loads the same table from CSV and Parquet', async () => {
    await generateFraudDataset({ rows: 3_000, seed: 2, out: file('same.csv') });
    await generateFraudDataset({ rows: 3_000, seed: 2, out: file('same.parquet') });
    expect(await loadDataset(file('same.csv'))).toEqual(await loadDataset(file('same.parquet')));
  });
});

describe('generateFraudTable', () => {
  const { table } = generateFraudTable({ rows: 20_000, seed: 9 });

  it('has unique transaction ids, hours 0-23, and four regions of unequal size', () => {
    const ids = categoricalColumn(table, 'transaction_id');
    expect(new Set(Array.from(ids.codes, (code) => ids.dictionary[code])).size).toBe(20_000);
    const hours = numericColumn(table, 'hour_of_day').values;
    expect(hours.every((h) => Number.isInteger(h) && h >= 0 && h <= 23)).toBe(true);
    const region = categoricalColumn(table, 'region');
    const shares = region.dictionary.map((name) => shareOf(region, name));
    expect(region.dictionary).toEqual(['north', 'south', 'east', 'west']);
    expect(shares[0]).toBeGreaterThan(0.4);
    expect(shares[3]).toBeLessThan(0.12);
  });

  it('draws the fraud rate that is asked for', () => {
    const { positives } = generateFraudTable({ rows: 20_000, seed: 9, fraudRate: 0.1 });
    expect(positives / 20_000).toBeGreaterThan(0.09);
    expect(positives / 20_000).toBeLessThan(0.11);
  });

  it('makes fraud depend on the features (higher fraud share without the card present)', () => {
    const present = numericColumn(table, 'card_present').values;
    const fraud = numericColumn(table, 'is_fraud').values;
    const rate = (wanted: number) => {
      const rows = fraud.filter((_, row) => present[row] === wanted);
      return mean(rows);
    };
    expect(rate(0)).toBeGreaterThan(2 * rate(1));
  });

  it('shifts amounts and the region mix under drift, but not the features of a seed without it', () => {
    const drifted = generateFraudTable({ rows: 20_000, seed: 9, drift: 1 }).table;
    expect(mean(numericColumn(drifted, 'amount').values)).toBeGreaterThan(1.1 * mean(numericColumn(table, 'amount').values));
    expect(shareOf(categoricalColumn(drifted, 'region'), 'west')).toBeGreaterThan(2 * shareOf(categoricalColumn(table, 'region'), 'west'));
    const noisy = generateFraudTable({ rows: 20_000, seed: 9, labelNoise: 0.1 }).table;
    expect(numericColumn(noisy, 'amount').values).toEqual(numericColumn(table, 'amount').values);
  });

  it('changes the fraud pattern under patternShift: inputs move little, the rate holds, the old model misses most fraud, a new fit learns it', () => {
    const base = { rows: 20_000, seed: 9, drift: 1.5 };
    const before = generateFraudTable(base).table;
    const after = generateFraudTable({ ...base, patternShift: 0.9 });
    expect(after.positives / 20_000).toBeGreaterThan(0.025);
    expect(after.positives / 20_000).toBeLessThan(0.035);
    // Inputs: means within a few percent, the region mix within two points.
    for (const name of ['amount', 'days_since_last_tx', 'credit_limit', 'customer_age']) {
      expect(Math.abs(mean(numericColumn(after.table, name).values) / mean(numericColumn(before, name).values) - 1)).toBeLessThan(0.05);
    }
    for (const region of ['north', 'south', 'east', 'west']) {
      expect(Math.abs(shareOf(categoricalColumn(after.table, 'region'), region) - shareOf(categoricalColumn(before, 'region'), region))).toBeLessThan(0.02);
    }
    const features = EXPECTED_COLUMNS.map(([name]) => name!).filter((name) => name !== 'is_fraud' && name !== 'transaction_id');
    const params = BuiltinTrain.parse({ runtime: 'builtin' }).params;
    const fit = (table: Table) => trainLogisticRegression(table, { model: 'm', target: 'is_fraud', features, rows: Uint32Array.from({ length: 16_000 }, (_, row) => row), params, seed: 1 });
    const holdout = Uint32Array.from({ length: 4_000 }, (_, row) => 16_000 + row);
    const metricsOn = (model: ReturnType<typeof fit>, table: Table) =>
      classificationMetrics(Float64Array.from(holdout, (row) => numericColumn(table, 'is_fraud').values[row]!), scoreRows(model, table, holdout), 0.1);
    const oldModel = fit(before);
    const oldOnOld = metricsOn(oldModel, before);
    const oldOnNew = metricsOn(oldModel, after.table);
    expect(oldOnNew.recall).toBeLessThan(oldOnOld.recall - 0.25);
    expect(metricsOn(fit(after.table), after.table).roc_auc).toBeGreaterThan(0.8);
    // Without the option, nothing of a seed changes.
    expect(numericColumn(generateFraudTable({ ...base, patternShift: 0 }).table, 'is_fraud').values).toEqual(numericColumn(before, 'is_fraud').values);
  });

  it('flips about labelNoise of the labels', () => {
    const noisy = generateFraudTable({ rows: 20_000, seed: 9, labelNoise: 0.1 }).table;
    const clean = numericColumn(table, 'is_fraud').values;
    const flipped = numericColumn(noisy, 'is_fraud').values.filter((label, row) => label !== clean[row]).length;
    expect(flipped / 20_000).toBeGreaterThan(0.09);
    expect(flipped / 20_000).toBeLessThan(0.11);
  });

  it('blanks about nullShare of distance_from_home_km and device_type', () => {
    const withNulls = generateFraudTable({ rows: 20_000, seed: 9, nullShare: 0.05 }).table;
    const missingDistance = numericColumn(withNulls, 'distance_from_home_km').values.filter(Number.isNaN).length / 20_000;
    const missingDevice = categoricalColumn(withNulls, 'device_type').codes.filter((code) => code === -1).length / 20_000;
    expect(missingDistance).toBeGreaterThan(0.04);
    expect(missingDistance).toBeLessThan(0.06);
    expect(missingDevice).toBeGreaterThan(0.04);
    expect(missingDevice).toBeLessThan(0.06);
    expect(numericColumn(table, 'distance_from_home_km').values.some(Number.isNaN)).toBe(false);
  });
});
