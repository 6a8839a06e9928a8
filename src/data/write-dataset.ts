/**
 * Writes a Table (or some of its rows, e.g. a train split) as CSV or Parquet. Columns go to
 * DuckDB as typed-array memory; DuckDB turns codes back into strings and writes the file.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DOUBLE, INTEGER, type DuckDBConnection } from '@duckdb/node-api';
import { DatasetError } from './dataset-error.js';
import { inferDatasetFormat, type DatasetFormat } from './dataset-format.js';
import { withDuckDB } from './duckdb-connection.js';
import { appendColumns } from './duckdb-typed-arrays.js';
import { isNumericSourceType } from './source-types.js';
import { quoteIdentifier, quoteString } from './sql-literals.js';
import type { Column, Table } from './table.js';

export type ParquetCompression = 'zstd' | 'snappy' | 'uncompressed';

export interface WriteDatasetOptions {
  /** Default: from the file extension. */
  format?: DatasetFormat;
  /** Parquet only. Default zstd: smallest files, and fast to read with DuckDB. */
  compression?: ParquetCompression;
  /** Write only these rows (0-based, in this order). Default: all. */
  rows?: Uint32Array;
}

const STAGED_TABLE = 'staged';

/** Writes to a temporary file and renames it, so readers never see a half-written dataset. */
export async function writeDataset(table: Table, path: string, options: WriteDatasetOptions = {}): Promise<void> {
  const format = options.format ?? inferDatasetFormat(path);
  if (table.columns.length === 0) throw DatasetError.about(path, 'invalid', 'cannot write a table without columns');
  const columns = options.rows ? table.columns.map((column) => selectRows(column, options.rows!)) : table.columns;
  const temporaryPath = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await mkdir(dirname(path), { recursive: true });
  try {
    await withDuckDB(async (connection) => {
      await stageColumns(connection, columns);
      const dictionaries = await stageDictionaries(connection, columns, path);
      const copyOptions = format === 'csv' ? 'FORMAT csv, HEADER true' : `FORMAT parquet, COMPRESSION ${options.compression ?? 'zstd'}`;
      await connection.run(`COPY (${restoreValuesSql(columns, dictionaries)}) TO ${quoteString(temporaryPath)} (${copyOptions})`);
    });
    await rename(temporaryPath, path);
  } catch (error) {
    await rm(temporaryPath, { force: true });
    throw error;
  }
}

function selectRows(column: Column, rows: Uint32Array): Column {
  if (column.kind === 'numeric') {
    const values = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) values[i] = column.values[rows[i]!]!;
    return { ...column, values };
  }
  const codes = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) codes[i] = column.codes[rows[i]!]!;
  return { ...column, codes };
}

/** Column i is staged as `c<i>`: numbers as DOUBLE (NaN = missing), categories as INTEGER codes (-1 = missing). */
async function stageColumns(connection: DuckDBConnection, columns: Column[]): Promise<void> {
  const types = columns.map((column) => (column.kind === 'numeric' ? DOUBLE : INTEGER));
  const definitions = columns.map((column, index) => `c${index} ${column.kind === 'numeric' ? 'DOUBLE' : 'INTEGER'}`);
  await connection.run(`CREATE TEMP TABLE ${STAGED_TABLE} (${definitions.join(', ')})`);
  await appendColumns(connection, STAGED_TABLE, types, columns.map((column) => (column.kind === 'numeric' ? column.values : column.codes)));
}

/**
 * Each dictionary travels as one NUL-joined string parameter and is split in SQL: one call
 * instead of one per entry, which matters for ID columns with a million distinct values.
 * Returns the dictionary table name per column index.
 */
async function stageDictionaries(connection: DuckDBConnection, columns: Column[], path: string): Promise<Map<number, string>> {
  const tables = new Map<number, string>();
  for (const [index, column] of columns.entries()) {
    if (column.kind !== 'categorical') continue;
    if (column.dictionary.some((value) => value.includes('\0'))) {
      throw DatasetError.about(path, 'invalid', `column "${column.name}" has a value containing a NUL character, which CSV and Parquet writers cannot keep`);
    }
    const table = `dictionary${index}`;
    await connection.run(
      `CREATE TEMP TABLE ${table} AS SELECT (generate_subscripts(entries, 1) - 1)::INTEGER AS code, unnest(entries) AS value ` +
        `FROM (SELECT CASE WHEN $count = 0 THEN []::VARCHAR[] ELSE string_split($joined, chr(0)) END AS entries)`,
      { joined: column.dictionary.join('\0'), count: column.dictionary.length },
    );
    tables.set(index, table);
  }
  return tables;
}

function restoreValuesSql(columns: Column[], dictionaries: Map<number, string>): string {
  const projection = columns.map((column, index) => {
    const name = quoteIdentifier(column.name);
    if (column.kind === 'categorical') return `d${index}.value AS ${name}`;
    const missingAsNull = `nullif(s.c${index}, 'NaN'::DOUBLE)`;
    // Write numbers back as the type they were read as (BIGINT stays BIGINT), so a round trip keeps the schema.
    return isNumericSourceType(column.sourceType) && column.sourceType !== 'DOUBLE' ? `CAST(${missingAsNull} AS ${column.sourceType}) AS ${name}` : `${missingAsNull} AS ${name}`;
  });
  const joins = [...dictionaries].map(([index, table]) => `LEFT JOIN ${table} d${index} ON s.c${index} = d${index}.code`);
  // The joins may reorder rows; rowid restores the order they were staged in.
  return `SELECT ${projection.join(', ')} FROM ${STAGED_TABLE} s ${joins.join(' ')} ORDER BY s.rowid`;
}
