import { join } from 'node:path';
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../../src/data/load-dataset.js';
import type { Table } from '../../../src/data/table.js';
import { writeDataset } from '../../../src/data/write-dataset.js';
import { makeTemporaryDirectory, parquetCompression } from './duckdb-files.js';

let directory: { path: string; remove: () => Promise<void> };
const file = (name: string) => join(directory.path, name);

// Dictionaries sorted, as loadDataset builds them, so a round trip gives back an equal Table.
const TABLE: Table = {
  rowCount: 5,
  columns: [
    { name: 'id', kind: 'categorical', sourceType: 'VARCHAR', codes: new Int32Array([0, 1, 2, 3, 4]), dictionary: ['a,1', 'b "quoted"', 'c', 'd', 'e'] },
    { name: 'amount', kind: 'numeric', sourceType: 'DOUBLE', values: new Float64Array([1.25, Number.NaN, -3, 0.1, 1e-7]) },
    { name: 'count', kind: 'numeric', sourceType: 'BIGINT', values: new Float64Array([1, 2, Number.NaN, 4, 5]) },
    { name: 'flag', kind: 'numeric', sourceType: 'BOOLEAN', values: new Float64Array([1, 0, 1, Number.NaN, 0]) },
    { name: 'region', kind: 'categorical', sourceType: 'VARCHAR', codes: new Int32Array([1, -1, 0, 1, 1]), dictionary: ['east', 'north'] },
  ],
};

beforeAll(async () => {
  directory = await makeTemporaryDirectory('write-dataset');
});

afterAll(() => directory.remove());

describe('writeDataset', () => {
  it.each([
    ['table.csv', {}],
    ['table-zstd.parquet', { compression: 'zstd' as const }],
    ['table-snappy.parquet', { compression: 'snappy' as const }],
  ])('round-trips a table through %s, keeping types, nulls and quoting', async (name, options) => {
    await writeDataset(TABLE, file(name), options);
    expect(await loadDataset(file(name))).toEqual(TABLE);
  });

  it('uses the requested Parquet compression', async () => {
    await writeDataset(TABLE, file('snappy.parquet'), { compression: 'snappy' });
    await writeDataset(TABLE, file('default.parquet'));
    expect(await parquetCompression(file('snappy.parquet'))).toBe('SNAPPY');
    expect(await parquetCompression(file('default.parquet'))).toBe('ZSTD');
  });

  it('writes only the selected rows, in the given order', async () => {
    await writeDataset(TABLE, file('subset.csv'), { rows: new Uint32Array([4, 0]) });
    const subset = await loadDataset(file('subset.csv'));
    expect(subset.rowCount).toBe(2);
    expect(subset.columns[0]).toEqual({ name: 'id', kind: 'categorical', sourceType: 'VARCHAR', codes: new Int32Array([1, 0]), dictionary: ['a,1', 'e'] });
    expect(subset.columns[1]).toEqual({ name: 'amount', kind: 'numeric', sourceType: 'DOUBLE', values: new Float64Array([1e-7, 1.25]) });
  });

  it('leaves no temporary files beside the output', async () => {
    await writeDataset(TABLE, file('nested/dir/out.parquet'));
    expect(await readdir(file('nested/dir'))).toEqual(['out.parquet']);
  });
});
