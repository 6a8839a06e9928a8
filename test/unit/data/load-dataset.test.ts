import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError, loadDataset } from '../../../src/data/load-dataset.js';
import type { Table } from '../../../src/data/table.js';
import { makeTemporaryDirectory, parquetCompression, runDuckDB } from './duckdb-files.js';

let directory: { path: string; remove: () => Promise<void> };
const file = (name: string) => join(directory.path, name);

// One small table with every kind of value, including a NULL in each column.
const SMALL_TABLE_SQL = `CREATE TABLE small AS SELECT * FROM (VALUES
  (1::BIGINT, 2.5::DOUBLE, true, 'north', 'a'),
  (2, NULL, false, 'south', NULL),
  (3, -1.25, NULL, 'north', 'b'),
  (NULL, 1000000.0, true, 'east', 'a')
) v(id, amount, flag, region, note)`;

const SMALL_TABLE: Table = {
  rowCount: 4,
  columns: [
    { name: 'id', kind: 'numeric', sourceType: 'BIGINT', values: new Float64Array([1, 2, 3, Number.NaN]) },
    { name: 'amount', kind: 'numeric', sourceType: 'DOUBLE', values: new Float64Array([2.5, Number.NaN, -1.25, 1_000_000]) },
    { name: 'flag', kind: 'numeric', sourceType: 'BOOLEAN', values: new Float64Array([1, 0, Number.NaN, 1]) },
    { name: 'region', kind: 'categorical', sourceType: 'VARCHAR', codes: new Int32Array([1, 2, 1, 0]), dictionary: ['east', 'north', 'south'] },
    { name: 'note', kind: 'categorical', sourceType: 'VARCHAR', codes: new Int32Array([0, -1, 1, 0]), dictionary: ['a', 'b'] },
  ],
};

beforeAll(async () => {
  directory = await makeTemporaryDirectory('load-dataset');
  await runDuckDB(
    SMALL_TABLE_SQL,
    `COPY small TO '${file('small.csv')}' (FORMAT csv, HEADER true)`,
    `COPY small TO '${file('small-snappy.parquet')}' (FORMAT parquet, COMPRESSION snappy)`,
    `COPY small TO '${file('small-zstd.parquet')}' (FORMAT parquet, COMPRESSION zstd)`,
    // Enough rows for several row groups, which DuckDB reads in parallel.
    `COPY (SELECT range AS i, range * 0.5 AS half, 'v' || (range % 7) AS bucket, 'id-' || range AS id FROM range(300000))
       TO '${file('many-rows.parquet')}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 50000)`,
    `COPY small TO '${file('small.data')}' (FORMAT parquet)`,
    `COPY (SELECT DATE '2024-01-31' + range::INTEGER AS day, 1.5::DECIMAL(6,2) AS price FROM range(3)) TO '${file('other-types.parquet')}' (FORMAT parquet)`,
  );
  await writeFile(file('not-parquet.parquet'), 'this is not a parquet file\n');
  await writeFile(file('empty.csv'), '');
});

afterAll(() => directory.remove());

describe('loadDataset', () => {
  it('writes the Parquet fixtures with the compression under test', async () => {
    expect(await parquetCompression(file('small-snappy.parquet'))).toBe('SNAPPY');
    expect(await parquetCompression(file('small-zstd.parquet'))).toBe('ZSTD');
  });

  it.each(['small.csv', 'small-snappy.parquet', 'small-zstd.parquet'])('loads %s into typed columns with NaN and -1 for nulls', async (name) => {
    expect(await loadDataset(file(name))).toEqual(SMALL_TABLE);
  });

  it('loads CSV and Parquet versions of the same data into equal tables', async () => {
    const [csv, parquet] = await Promise.all([loadDataset(file('small.csv')), loadDataset(file('small-zstd.parquet'))]);
    expect(csv).toEqual(parquet);
  });

  it('keeps row order and dictionary codes across chunks and row groups', async () => {
    const table = await loadDataset(file('many-rows.parquet'));
    expect(table.rowCount).toBe(300_000);
    const [i, half, bucket, id] = table.columns;
    if (i?.kind !== 'numeric' || half?.kind !== 'numeric' || bucket?.kind !== 'categorical' || id?.kind !== 'categorical') throw new Error('unexpected column kinds');
    expect(bucket.dictionary).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
    expect(id.dictionary).toHaveLength(300_000);
    let mismatches = 0;
    for (let row = 0; row < table.rowCount; row++) {
      if (i.values[row] !== row || half.values[row] !== row * 0.5 || bucket.dictionary[bucket.codes[row]!] !== `v${row % 7}` || id.dictionary[id.codes[row]!] !== `id-${row}`) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('handles columns whose names clash with SQL words or helper names', async () => {
    await runDuckDB(`COPY (SELECT * FROM (VALUES ('x', 'y', 1), (NULL, 'z', 2), ('x', NULL, 3)) v("value", "select", "file_row_number")) TO '${file('clashing-names.parquet')}' (FORMAT parquet)`);
    const table = await loadDataset(file('clashing-names.parquet'));
    expect(table.columns).toEqual([
      { name: 'value', kind: 'categorical', sourceType: 'VARCHAR', codes: new Int32Array([0, -1, 0]), dictionary: ['x'] },
      { name: 'select', kind: 'categorical', sourceType: 'VARCHAR', codes: new Int32Array([0, 1, -1]), dictionary: ['y', 'z'] },
      { name: 'file_row_number', kind: 'numeric', sourceType: 'INTEGER', values: new Float64Array([1, 2, 3]) },
    ]);
  });

  it('loads only the requested columns, in file order', async () => {
    const table = await loadDataset(file('small-zstd.parquet'), { columns: ['note', 'id'] });
    expect(table.columns.map((c) => c.name)).toEqual(['id', 'note']);
    expect(table.rowCount).toBe(4);
  });

  it('reads the format from the option when the extension does not tell it', async () => {
    expect(await loadDataset(file('small.data'), { format: 'parquet' })).toEqual(SMALL_TABLE);
  });

  it('loads decimals as numbers and dates as categories, keeping the declared type', async () => {
    const table = await loadDataset(file('other-types.parquet'));
    expect(table.columns).toEqual([
      { name: 'day', kind: 'categorical', sourceType: 'DATE', codes: new Int32Array([0, 1, 2]), dictionary: ['2024-01-31', '2024-02-01', '2024-02-02'] },
      { name: 'price', kind: 'numeric', sourceType: 'DECIMAL(6,2)', values: new Float64Array([1.5, 1.5, 1.5]) },
    ]);
  });

  it('fails with a DatasetError naming the file when it does not exist', async () => {
    const missing = file('missing.parquet');
    const error = await loadDataset(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(error).toMatchObject({ problem: 'not_found', path: missing, message: `${missing}: file not found` });
  });

  it('fails with a DatasetError listing the columns when a requested column is unknown', async () => {
    const error = await loadDataset(file('small.csv'), { columns: ['id', 'nope'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(error).toMatchObject({ problem: 'unknown_column', message: `${file('small.csv')}: no column "nope"; the file has: id, amount, flag, region, note` });
  });

  it('fails with a DatasetError when the file is not what its extension says', async () => {
    const error = await loadDataset(file('not-parquet.parquet')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(error).toMatchObject({ problem: 'unreadable' });
    expect((error as Error).message).toMatch(new RegExp(`^${file('not-parquet.parquet')}: cannot read as parquet: `));
  });

  it('fails with a DatasetError for an empty file and for an unknown extension', async () => {
    await expect(loadDataset(file('empty.csv'))).rejects.toMatchObject({ name: 'DatasetError', problem: 'unreadable', message: `${file('empty.csv')}: file is empty` });
    await expect(loadDataset(file('small.data'))).rejects.toMatchObject({ name: 'DatasetError', problem: 'unsupported_format' });
  });
});
