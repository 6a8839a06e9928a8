import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogUploader, logKey } from '../../../src/serving/log-upload.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { FileBlobStore } from '../../../src/storage/file-blob-store.js';

describe('LogUploader', () => {
  it('uploads each log file under its relative key, in order, retrying through an outage without losing one', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-log-upload-'));
    const store = new FileBlobStore(path.join(dataDir, 'store'));
    // The store refuses the first three puts (an outage), then answers.
    let refusals = 3;
    const flaky: BlobStore = Object.assign(Object.create(store) as BlobStore, {
      put: async (key: string, source: Parameters<BlobStore['put']>[1]) => {
        if (refusals-- > 0) throw new Error('503 Slow Down');
        return store.put(key, source);
      },
    });
    const errors: string[] = [];
    const uploader = new LogUploader(flaky, dataDir, (error) => errors.push((error as Error).message));
    const files: string[] = [];
    for (let i = 0; i < 4; i++) {
      const file = path.join(dataDir, 'predictions', 'model=m', 'date=2026-12-04', 'hour=06', `${1000 + i}-w1-${i}.parquet`);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, `bytes ${i}`);
      files.push(file);
      uploader.enqueue(file);
    }
    await uploader.settle(20_000);
    expect(uploader.counters).toEqual({ uploaded: 4, pending: 0, failedAttempts: 3 });
    expect(errors[0]).toMatch(/^uploading .*1000-w1-0\.parquet to file:\/\/.*: 503 Slow Down$/);
    expect(logKey(dataDir, files[0]!)).toBe('logs/predictions/model=m/date=2026-12-04/hour=06/1000-w1-0.parquet');
    const listed = await store.list('logs/predictions/model=m/');
    expect(listed.map((f) => f.key)).toEqual(files.map((f) => logKey(dataDir, f)));
    for (const [i, file] of files.entries()) expect(await readFile(path.join(dataDir, 'store', logKey(dataDir, file)), 'utf8')).toBe(`bytes ${i}`);
  });
});
