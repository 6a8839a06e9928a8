/** Test helpers: temporary directories and files written by DuckDB itself (the reference writer). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

export async function makeTemporaryDirectory(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Runs SQL statements on a throwaway in-memory DuckDB, e.g. CREATE TABLE + COPY ... TO. */
export async function runDuckDB(...statements: string[]): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    for (const statement of statements) await connection.run(statement);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The compression codec DuckDB reports for the first column chunk of a Parquet file. */
export async function parquetCompression(path: string): Promise<string> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata('${path}')`);
    return reader.getRowsJS().map((row) => String(row[0])).join(',');
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
