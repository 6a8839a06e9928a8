/** Writes a subset of a Table's rows (e.g. the train or hold-out split) as CSV or Parquet. */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Table } from './table.js';

export async function writeRows(table: Table, rows: Uint32Array, file: string, format: 'csv' | 'parquet'): Promise<void> {
  const csvPath = format === 'csv' ? `${file}.tmp` : `${file}.csv.tmp`;
  await writeCsv(table, rows, csvPath);
  if (format === 'csv') {
    await rename(csvPath, file);
    return;
  }
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    const types = Object.fromEntries(table.columns.map((c) => [c.name, duckType(c.sourceType, c.kind)]));
    const typeList = Object.entries(types).map(([k, v]) => `'${k.replaceAll("'", "''")}': '${v}'`).join(', ');
    await connection.run(
      `COPY (SELECT * FROM read_csv('${csvPath.replaceAll("'", "''")}', header = true, columns = {${typeList}})) TO '${`${file}.tmp`.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION zstd)`,
    );
    await rename(`${file}.tmp`, file);
  } finally {
    connection.closeSync();
    db.closeSync();
    await rm(csvPath, { force: true });
  }
}

function duckType(sourceType: string, kind: 'numeric' | 'categorical'): string {
  if (kind === 'categorical') return 'VARCHAR';
  return /BOOL/i.test(sourceType) ? 'BOOLEAN' : /INT/i.test(sourceType) ? 'BIGINT' : 'DOUBLE';
}

async function writeCsv(table: Table, rows: Uint32Array, file: string): Promise<void> {
  const out = createWriteStream(file);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(`${table.columns.map((c) => csvField(c.name)).join(',')}\n`);
  let buffer = '';
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const fields = table.columns.map((c) => {
      if (c.kind === 'categorical') {
        const code = c.codes[row]!;
        return code < 0 ? '' : csvField(c.dictionary[code]!);
      }
      const v = c.values[row]!;
      if (Number.isNaN(v)) return '';
      return /BOOL/i.test(c.sourceType) ? (v ? 'true' : 'false') : String(v);
    });
    buffer += `${fields.join(',')}\n`;
    if (buffer.length > 1 << 16) {
      await write(buffer);
      buffer = '';
    }
  }
  await write(buffer);
  out.end();
  await once(out, 'finish');
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
