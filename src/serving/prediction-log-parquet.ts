/**
 * Writes one batch of rows, given as columns, to a Parquet file through an in-process DuckDB:
 * rows go in through an appender in slices (yielding to the event loop between slices, so a
 * flush never holds up requests for long), DuckDB's COPY writes a temporary file on its own
 * thread, and a rename publishes it, so readers never see a partial file.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { DuckDBInstance, DuckDBTimestampMillisecondsValue, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import { quoteIdentifier, quoteString } from '../data/sql-literals.js';

export type ParquetColumnType = 'VARCHAR' | 'DOUBLE' | 'INTEGER' | 'BOOLEAN' | 'TIMESTAMP_MS';
export type ParquetValue = string | number | boolean | null;

export interface ParquetColumn {
  name: string;
  type: ParquetColumnType;
  values: readonly ParquetValue[];
}

/** Rows appended between two turns of the event loop (about 0.5 ms of work). */
const ROWS_PER_SLICE = 256;
const STAGED_TABLE = 'staged';

export class ParquetBatchWriter {
  private connection: Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> | undefined;

  /** Opens DuckDB ahead of the first flush (opening takes tens of ms of the event loop). */
  open(): Promise<void> {
    return (this.connection ??= openConnection()).then(() => undefined);
  }

  /** Writes the columns (all of one length) to `file`; the directory is created when missing. */
  async write(file: string, columns: readonly ParquetColumn[]): Promise<void> {
    const { connection } = await (this.connection ??= openConnection());
    const definitions = columns.map((column) => `${quoteIdentifier(column.name)} ${column.type}`);
    await connection.run(`CREATE OR REPLACE TEMP TABLE ${STAGED_TABLE} (${definitions.join(', ')})`);
    const appender = await connection.createAppender(STAGED_TABLE);
    try {
      const rowCount = columns[0]?.values.length ?? 0;
      for (let start = 0; start < rowCount; start += ROWS_PER_SLICE) {
        if (start > 0) await nextTurn();
        appendRows(appender, columns, start, Math.min(rowCount, start + ROWS_PER_SLICE));
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    await mkdir(path.dirname(file), { recursive: true });
    // A dot-name without .parquet: globs like **/*.parquet never pick up a file being written.
    const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await connection.run(`COPY ${STAGED_TABLE} TO ${quoteString(temporary)} (FORMAT parquet, COMPRESSION zstd)`);
      await rename(temporary, file);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    } finally {
      await connection.run(`DROP TABLE IF EXISTS ${STAGED_TABLE}`);
    }
  }

  async close(): Promise<void> {
    const opened = this.connection;
    this.connection = undefined;
    if (!opened) return;
    const { instance, connection } = await opened;
    connection.closeSync();
    instance.closeSync();
  }
}

async function openConnection(): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
  // One thread: a flush is a few thousand rows, and the gateway needs the other core.
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  return { instance, connection: await instance.connect() };
}

function appendRows(appender: DuckDBAppender, columns: readonly ParquetColumn[], start: number, end: number): void {
  for (let row = start; row < end; row++) {
    for (const column of columns) {
      const value = column.values[row];
      if (value === null || value === undefined) appender.appendNull();
      else if (column.type === 'VARCHAR') appender.appendVarchar(String(value));
      else if (column.type === 'DOUBLE') appender.appendDouble(Number(value));
      else if (column.type === 'INTEGER') appender.appendInteger(Number(value));
      else if (column.type === 'BOOLEAN') appender.appendBoolean(Boolean(value));
      else appender.appendTimestampMilliseconds(new DuckDBTimestampMillisecondsValue(BigInt(Math.round(Number(value)))));
    }
    appender.endRow();
  }
}
