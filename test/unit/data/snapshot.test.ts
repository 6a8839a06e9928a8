import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from '../../../src/data/dataset-error.js';
import { loadSnapshot, snapshotDataset } from '../../../src/data/snapshot.js';
import { makeTemporaryDirectory } from './duckdb-files.js';

let directory: { path: string; remove: () => Promise<void> };
let source: string;
let dataDir: string;

beforeAll(async () => {
  directory = await makeTemporaryDirectory('snapshot');
  source = join(directory.path, 'transactions.csv');
  dataDir = join(directory.path, 'data');
  // Bigger than one stream chunk (64 KiB), so hashing really streams.
  const rows = Array.from({ length: 20_000 }, (_, i) => `${i},${(i * 1.37).toFixed(2)},region-${i % 4}`);
  await writeFile(source, `id,amount,region\n${rows.join('\n')}\n`);
});

afterAll(() => directory.remove());

function sha256sum(path: string): string {
  return execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0]!;
}

describe('snapshotDataset', () => {
  it('names the snapshot by the sha256 of the file bytes, as sha256sum computes it', async () => {
    const expected = sha256sum(source);
    const snapshot = await snapshotDataset(source, dataDir);
    expect(snapshot).toEqual({
      sha256: expected,
      dataVersion: expected.slice(0, 16),
      path: join(dataDir, 'snapshots', `${expected}.csv`),
      format: 'csv',
      sizeBytes: (await stat(source)).size,
      source,
    });
    expect(await readFile(snapshot.path)).toEqual(await readFile(source));
  });

  it('is idempotent: a second snapshot of the same bytes returns the same result and leaves the copy untouched', async () => {
    const first = await snapshotDataset(source, dataDir);
    const before = await stat(first.path);
    const second = await snapshotDataset(source, dataDir);
    expect(second).toEqual(first);
    expect((await stat(second.path)).mtimeMs).toBe(before.mtimeMs);
    expect(await readdir(join(dataDir, 'snapshots'))).toEqual([`${first.sha256}.csv`]);
  });

  it('makes the copy read-only so later steps cannot change it', async () => {
    const snapshot = await snapshotDataset(source, dataDir);
    expect((await stat(snapshot.path)).mode & 0o222).toBe(0);
  });

  it('keeps a new snapshot when the source changes, beside the old one', async () => {
    const other = join(directory.path, 'other.parquet');
    await writeFile(other, 'different bytes');
    const snapshot = await snapshotDataset(other, dataDir);
    expect(snapshot.sha256).toBe(sha256sum(other));
    expect(snapshot.format).toBe('parquet');
    expect((await readdir(join(dataDir, 'snapshots'))).sort()).toEqual([`${sha256sum(source)}.csv`, `${snapshot.sha256}.parquet`].sort());
  });

  it('fails with a DatasetError naming the path when the source is missing', async () => {
    const missing = join(directory.path, 'nope.csv');
    const error = await snapshotDataset(missing, dataDir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(error).toMatchObject({ problem: 'not_found', message: `${missing}: data source file not found` });
  });
});

describe('what the user named (issue: trust boundary)', () => {
  it('takes data.format for a source without an extension instead of refusing it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mlops-snapshot-format-'));
    const source = path.join(dir, 'export-2026-12-03');
    await writeFile(source, 'x,y\n1,0\n2,1\n');
    await expect(snapshotDataset(source, dir)).rejects.toThrow(/cannot tell the format from the file extension/);
    const snapshot = await snapshotDataset(source, dir, { format: 'csv' });
    expect(snapshot).toMatchObject({ format: 'csv', source });
    expect((await loadSnapshot(snapshot)).rowCount).toBe(2);
  });

  it("reports a problem with the data against the user's source, not the internal snapshot path", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mlops-snapshot-empty-'));
    const source = path.join(dir, 'empty.csv');
    await writeFile(source, '');
    const snapshot = await snapshotDataset(source, dir);
    const error = await loadSnapshot(snapshot).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as Error).message).toContain(`${source} (data version ${snapshot.dataVersion})`);
    expect((error as Error).message).not.toContain('snapshots');
  });
});
