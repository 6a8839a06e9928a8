import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startGateway } from '../../../src/serving/gateway.js';
import { LogUploader, logKey } from '../../../src/serving/log-upload.js';
import { hourPartition, SHADOW_PREDICTIONS_DIRECTORY } from '../../../src/serving/prediction-log.js';
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
    expect(uploader.counters).toEqual({ uploaded: 4, resumed: 0, pending: 0, failedAttempts: 3, vanished: 0 });
    expect(errors[0]).toMatch(/^uploading .*1000-w1-0\.parquet to file:\/\/.*: 503 Slow Down$/);
    expect(logKey(dataDir, files[0]!)).toBe('logs/predictions/model=m/date=2026-12-04/hour=06/1000-w1-0.parquet');
    const listed = await store.list('logs/predictions/model=m/');
    expect(listed.map((f) => f.key)).toEqual(files.map((f) => logKey(dataDir, f)));
    for (const [i, file] of files.entries()) expect(await readFile(path.join(dataDir, 'store', logKey(dataDir, file)), 'utf8')).toBe(`bytes ${i}`);
  });
});

describe('a gateway started after one killed with uploads pending', () => {
  it('uploads the recent log files the store lacks or holds cut short, and nothing else', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-log-resume-'));
    const store = new FileBlobStore(path.join(dataDir, '..', `${path.basename(dataDir)}-store`));
    const hourAgo = Date.now() - 3_600_000;
    const partition = (log: string, at: number) => path.join(dataDir, log, 'model=m', hourPartition('m', at).split('/').slice(1).join('/'));
    const write = async (file: string, bytes: string) => {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, bytes);
      return file;
    };
    // What the killed gateway left: one file never uploaded, one uploaded, one whose upload the
    // store holds cut short, a temporary file of an interrupted write, and a file of three days ago.
    const missing = await write(path.join(partition('predictions', hourAgo), '1-w1-0.parquet'), 'never uploaded');
    const uploaded = await write(path.join(partition('labels', hourAgo), '1-w1-1.parquet'), 'uploaded before the kill');
    await store.put(logKey(dataDir, uploaded), Readable.from([Buffer.from('uploaded before the kill')]));
    const short = await write(path.join(partition('kpis', Date.now()), '1-w1-2.parquet'), 'the whole file');
    await store.put(logKey(dataDir, short), Readable.from([Buffer.from('the who')]));
    await write(path.join(partition(SHADOW_PREDICTIONS_DIRECTORY, hourAgo), '.1-w1-3.parquet'), 'half a file');
    const old = await write(path.join(partition('predictions', Date.now() - 72 * 3_600_000), '1-w1-4.parquet'), 'three days old');
    // Named after a flush later than the start: a file of the new process, which uploads its own.
    await write(path.join(partition('predictions', hourAgo), `${Date.now() + 3_600_000}-w2-1.parquet`), 'not a predecessor\'s');

    const gateway = await startGateway({ dataDir, adminToken: 'resume-test-token', logStore: store });
    try {
      let metrics = '';
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(25)) {
        metrics = await (await fetch(`${gateway.url}/metrics`)).text();
        if (/^mlops_gateway_log_upload_resumed_files 2$/m.test(metrics) && /^mlops_gateway_log_upload_pending_files 0$/m.test(metrics)) break;
      }
      expect(metrics).toMatch(/^mlops_gateway_log_upload_resumed_files 2$/m);
      expect(metrics).toMatch(/^mlops_gateway_log_upload_pending_files 0$/m);
      const keys = (await store.list('logs/')).map((info) => info.key).sort();
      expect(keys).toEqual([logKey(dataDir, short), logKey(dataDir, uploaded), logKey(dataDir, missing)].sort());
      expect(keys).not.toContain(logKey(dataDir, old));
      const read = async (file: string) => readFile(path.join(store.root, logKey(dataDir, file)), 'utf8');
      expect(await read(missing)).toBe('never uploaded');
      expect(await read(short)).toBe('the whole file');
    } finally {
      await gateway.close();
    }
  });
});

describe('LogUploader backlog', () => {
  const writeLog = async (dataDir: string, name: string) => {
    const file = path.join(dataDir, 'predictions', 'model=m', 'date=2026-12-04', 'hour=06', name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, name);
    return file;
  };

  it('uploads what this process writes before a predecessor\'s backlog, and drops a queued file that vanished', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-log-order-'));
    const store = new FileBlobStore(path.join(dataDir, 'store'));
    const order: string[] = [];
    let release!: () => void;
    const firstHeld = new Promise<void>((resolve) => (release = resolve));
    const watched: BlobStore = Object.assign(Object.create(store) as BlobStore, {
      put: async (key: string, source: Parameters<BlobStore['put']>[1]) => {
        if (order.length === 0) await firstHeld;
        const info = await store.put(key, source);
        order.push(path.basename(key));
        return info;
      },
    });
    const errors: string[] = [];
    const uploader = new LogUploader(watched, dataDir, (error) => errors.push((error as Error).message));
    for (const name of ['1-old-1.parquet', '1-old-2.parquet', '1-old-3.parquet']) uploader.enqueue(await writeLog(dataDir, name), 'backlog');
    uploader.enqueue(path.join(dataDir, 'predictions', 'model=m', 'date=2026-12-04', 'hour=06', '5-gone-1.parquet'));
    uploader.enqueue(await writeLog(dataDir, '5-new-2.parquet'));
    release();
    await uploader.settle(10_000);
    // The backlog's first file was already in flight; then the live ones, then the rest of the backlog.
    expect(order).toEqual(['1-old-1.parquet', '5-new-2.parquet', '1-old-2.parquet', '1-old-3.parquet']);
    expect(uploader.counters).toMatchObject({ uploaded: 4, vanished: 1, pending: 0 });
    expect(errors).toEqual([expect.stringMatching(/5-gone-1\.parquet is gone from the disk before its upload to file:\/\/.*: dropped$/)]);
  });

  it('resumes with the store down at start: every recent file is queued and uploaded once it answers', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-log-down-'));
    const store = new FileBlobStore(path.join(dataDir, 'store'));
    const files = [await writeLog(dataDir, '1-w1-1.parquet'), await writeLog(dataDir, '1-w1-2.parquet')];
    await store.put(logKey(dataDir, files[0]!), { path: files[0]! });
    let down = true;
    const outage: BlobStore = Object.assign(Object.create(store) as BlobStore, {
      list: async () => {
        throw new Error('connect ECONNREFUSED');
      },
      put: async (key: string, source: Parameters<BlobStore['put']>[1]) => {
        if (down) throw new Error('connect ECONNREFUSED');
        return store.put(key, source);
      },
    });
    const errors: string[] = [];
    const uploader = new LogUploader(outage, dataDir, (error) => errors.push((error as Error).message));
    expect(await uploader.resume(['predictions'], Date.parse('2026-12-04T00:00:00Z'), Date.parse('2026-12-05T00:00:00Z'), 2)).toEqual({ partitions: 1, queued: 2 });
    expect(errors[0]).toMatch(/^listing logs\/predictions\/model=m\/date=2026-12-04\/hour=06\/ in file:\/\/.*: connect ECONNREFUSED; trying again$/);
    expect(errors[1]).toMatch(/^listing logs\/predictions\/model=m\/date=2026-12-04\/hour=06\/ in file:\/\/.*: connect ECONNREFUSED; queueing every file of it$/);
    await sleep(600);
    expect(uploader.counters.pending).toBe(2);
    down = false;
    await uploader.settle(20_000);
    expect(uploader.counters).toMatchObject({ uploaded: 2, resumed: 2, pending: 0 });
    expect((await store.list('logs/')).map((info) => path.basename(info.key))).toEqual(['1-w1-1.parquet', '1-w1-2.parquet']);
  });

  it('lists again while the store comes back, and then queues only what it lacks', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-log-back-'));
    const store = new FileBlobStore(path.join(dataDir, 'store'));
    const files = [await writeLog(dataDir, '1-w1-1.parquet'), await writeLog(dataDir, '1-w1-2.parquet')];
    await store.put(logKey(dataDir, files[0]!), { path: files[0]! });
    let refusals = 1;
    const flaky: BlobStore = Object.assign(Object.create(store) as BlobStore, {
      list: async (prefix: string) => {
        if (refusals-- > 0) throw new Error('503 Slow Down');
        return store.list(prefix);
      },
    });
    const uploader = new LogUploader(flaky, dataDir);
    expect(await uploader.resume(['predictions'], Date.parse('2026-12-04T00:00:00Z'), Date.parse('2026-12-05T00:00:00Z'))).toEqual({ partitions: 1, queued: 1 });
    await uploader.settle(10_000);
    expect(uploader.counters).toMatchObject({ uploaded: 1, resumed: 1, pending: 0 });
  });
});
