/**
 * Hostile and broken datasets through the path every run takes (snapshot → load → contract):
 * CSV with a BOM, quoted newlines, the wrong delimiter, non-UTF-8 bytes, NaN and infinities, an
 * empty file, a header only, 10,000 columns; Parquet with unexpected types, zero rows and nested
 * columns; then randomly damaged CSVs (fixed seed). Each time: a table and a contract report, or
 * a DatasetError naming the user's file, never another exception; and the snapshot directory
 * never holds a half-written file (every snapshot is named by the sha256 of its bytes).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDataContract } from '../../../src/data/contract.js';
import { DatasetError } from '../../../src/data/dataset-error.js';
import { mulberry32 } from '../../../src/data/seeded-random.js';
import { loadSnapshot, snapshotDataset } from '../../../src/data/snapshot.js';
import { DataContract } from '../../../src/spec/schema.js';
import { makeTemporaryDirectory, runDuckDB } from './duckdb-files.js';

let dir: { path: string; remove: () => Promise<void> };
let dataDir: string;
const contract = DataContract.parse({ minRows: 1, columns: { amount: { type: 'number', min: 0, required: false }, region: { type: 'string', required: false } } });

beforeAll(async () => {
  dir = await makeTemporaryDirectory('mlops-dataset-fuzz');
  dataDir = path.join(dir.path, '.data');
});
afterAll(async () => {
  await dir?.remove();
});

type Outcome = { kind: 'table'; rows: number; columns: number; passed: boolean } | { kind: 'dataset-error'; message: string };

/** Snapshot, load and check one file as a run would; anything but a table or a DatasetError fails the test. */
async function throughThePipeline(file: string, format?: 'csv' | 'parquet'): Promise<Outcome> {
  try {
    const snapshot = await snapshotDataset(file, dataDir, format ? { format } : {});
    const table = await loadSnapshot(snapshot);
    const report = checkDataContract(table, contract);
    return { kind: 'table', rows: table.rowCount, columns: table.columns.length, passed: report.passed };
  } catch (err) {
    if (!(err instanceof DatasetError)) throw new Error(`${path.basename(file)}: ${(err as Error).name} instead of DatasetError: ${(err as Error).message}`);
    expect(err.message, 'names the user file, not the snapshot').toContain(path.basename(file));
    expect(err.message).not.toContain(path.join('.data', 'snapshots'));
    expect(err.message.length).toBeLessThan(4096);
    return { kind: 'dataset-error', message: err.message };
  }
}

async function snapshotsAreWhole(): Promise<void> {
  const directory = path.join(dataDir, 'snapshots');
  const files = await readdir(directory).catch(() => [] as string[]);
  for (const name of files) {
    expect(name, 'no temporary file left behind').toMatch(/^[0-9a-f]{64}\.(csv|parquet)$/);
    const sha256 = createHash('sha256').update(await readFile(path.join(directory, name))).digest('hex');
    expect(name.startsWith(sha256), `${name} holds other bytes`).toBe(true);
  }
}

const file = async (name: string, content: string | Buffer) => {
  const target = path.join(dir.path, name);
  await writeFile(target, content);
  return target;
};

describe('named hostile datasets', () => {
  it('CSV variants load, or fail with a DatasetError naming the file', async () => {
    const header = 'amount,region,is_fraud';
    const rows = Array.from({ length: 50 }, (_, i) => `${i + 0.5},${['north', 'south'][i % 2]},${i % 7 === 0 ? 1 : 0}`);
    const cases: Record<string, string | Buffer> = {
      'bom.csv': `\ufeff${header}\n${rows.join('\n')}\n`,
      'quoted-newlines.csv': `${header},note\n${rows.map((r, i) => `${r},"line one\nline ""${i}"", two"`).join('\n')}\n`,
      'semicolons.csv': `${header.replaceAll(',', ';')}\n${rows.map((r) => r.replaceAll(',', ';')).join('\n')}\n`,
      'latin1.csv': Buffer.concat([Buffer.from(`${header}\n1.5,`), Buffer.from([0x4d, 0xfc, 0x6e, 0x63, 0x68, 0x65, 0x6e]), Buffer.from(',0\n2.5,south,1\n')]),
      'invalid-utf8.csv': Buffer.concat([Buffer.from(`${header}\n1.5,`), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from(',0\n')]),
      'nan-inf.csv': `${header}\nNaN,north,0\ninf,south,1\n-Infinity,east,0\n1e400,west,0\n3,north,1\n`,
      'empty.csv': '',
      'header-only.csv': `${header}\n`,
      'ragged.csv': `${header}\n1,north\n2,south,0,extra,cells\n`,
      'wide.csv': `${Array.from({ length: 10_000 }, (_, i) => `c${i}`).join(',')}\n${Array.from({ length: 10_000 }, (_, i) => i).join(',')}\n`,
      'binary.csv': Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256)),
      'no-extension': `${header}\n${rows.join('\n')}\n`,
    };
    const outcomes: Record<string, string> = {};
    for (const [name, content] of Object.entries(cases)) {
      const outcome = await throughThePipeline(await file(name, content), name === 'no-extension' ? 'csv' : undefined);
      outcomes[name] = outcome.kind === 'table' ? `table ${outcome.rows}×${outcome.columns}${outcome.passed ? '' : ' (contract failed)'}` : `DatasetError: ${outcome.message.slice(0, 80)}`;
    }
    console.log(Object.entries(outcomes).map(([name, outcome]) => `  ${name}: ${outcome}`).join('\n'));
    expect(outcomes['bom.csv']).toBe('table 50×3');
    expect(outcomes['quoted-newlines.csv']).toBe('table 50×4');
    expect(outcomes['empty.csv']).toMatch(/^DatasetError: .*empty\.csv/);
    expect(outcomes['header-only.csv']).toBe('table 0×3 (contract failed)');
    expect(outcomes['invalid-utf8.csv']).toMatch(/^DatasetError: .*invalid-utf8\.csv/);
    expect(outcomes['wide.csv']).toBe('table 1×10000');
    expect(outcomes['no-extension']).toBe('table 50×3');
    await snapshotsAreWhole();
  });

  it('Parquet with unexpected types, zero rows and nested columns', async () => {
    const parquet = (name: string) => path.join(dir.path, name).replaceAll("'", "''");
    await runDuckDB(
      `COPY (SELECT 1.5 AS amount, 'north' AS region, 0 AS is_fraud WHERE false) TO '${parquet('zero-rows.parquet')}' (FORMAT parquet)`,
      `COPY (SELECT {'a': 1, 'b': 'x'} AS amount, ['north', 'south'] AS region, 0 AS is_fraud) TO '${parquet('nested.parquet')}' (FORMAT parquet)`,
      `COPY (SELECT DATE '2026-12-03' AS amount, TIMESTAMP '2026-12-03 10:00:00' AS region, '\\x00\\x01'::BLOB AS is_fraud, INTERVAL 3 DAY AS gap, 12345678901234567890::HUGEINT AS huge, 1.5::DECIMAL(18, 3) AS money, NULL AS nothing) TO '${parquet('odd-types.parquet')}' (FORMAT parquet)`,
    );
    await writeFile(path.join(dir.path, 'truncated.parquet'), (await readFile(path.join(dir.path, 'nested.parquet'))).subarray(0, 40));
    const outcomes: Record<string, Outcome> = {};
    for (const name of ['zero-rows.parquet', 'nested.parquet', 'odd-types.parquet', 'truncated.parquet']) outcomes[name] = await throughThePipeline(path.join(dir.path, name));
    console.log(Object.entries(outcomes).map(([name, o]) => `  ${name}: ${o.kind === 'table' ? `table ${o.rows}×${o.columns}` : o.message.slice(0, 120)}`).join('\n'));
    expect(outcomes['zero-rows.parquet']).toMatchObject({ kind: 'table', rows: 0, passed: false }); // min 1 row
    expect(outcomes['truncated.parquet']).toMatchObject({ kind: 'dataset-error' });
    await snapshotsAreWhole();
  });
});

describe('randomly damaged CSVs (fixed seed)', () => {
  it('every one loads or fails with a DatasetError; snapshots stay whole', async () => {
    const random = mulberry32(0xda7a);
    const base = `amount,region,is_fraud,note\n${Array.from({ length: 40 }, (_, i) => `${i * 1.25},${['north', 'south', 'east'][i % 3]},${i % 5 === 0 ? 1 : 0},"n ${i}"`).join('\n')}\n`;
    const bytes = Buffer.from(base);
    const counts = { table: 0, error: 0 };
    const cases = 300;
    for (let i = 0; i < cases; i++) {
      const damaged = Buffer.from(bytes);
      const edits = 1 + Math.floor(random() * 6);
      for (let e = 0; e < edits; e++) damaged[Math.floor(random() * damaged.length)] = [0x22, 0x2c, 0x0a, 0x0d, 0x00, 0xff, 0x3b, 0x5c, Math.floor(random() * 256)][Math.floor(random() * 9)]!;
      const cut = random() < 0.2 ? damaged.subarray(0, Math.floor(random() * damaged.length)) : damaged;
      const outcome = await throughThePipeline(await file(`damaged-${i}.csv`, cut));
      counts[outcome.kind === 'table' ? 'table' : 'error']++;
    }
    console.log(`dataset fuzz: ${cases} damaged CSVs: ${counts.table} tables, ${counts.error} DatasetErrors`);
    expect(counts.table + counts.error).toBe(cases);
    await snapshotsAreWhole();
  });
});
