/**
 * The behaviour every blob store adapter must show, written once and run against each adapter
 * (test/unit/storage/file-blob-store.test.ts, test/integration/s3-blob-store.test.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { BlobIntegrityError, BlobNotFoundError, InvalidBlobKeyError, type BlobStore } from '../../src/storage/blob-store.js';

export interface BlobStoreUnderTest {
  store: BlobStore;
  /** Changes the stored bytes of `key` behind the store's back, leaving its recorded hash alone. */
  corrupt(key: string): Promise<void>;
  /** A token that changes whenever the object under `key` is written again. */
  writeStamp(key: string): Promise<string>;
  cleanup(): Promise<void>;
}

export const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Registers the shared cases in the caller's describe; `open` gives each case an empty store. */
export function blobStoreBehaviour(open: () => Promise<BlobStoreUnderTest>): void {
  let subject: BlobStoreUnderTest;
  let store: BlobStore;
  let scratch: string;
  beforeEach(async () => {
    subject = await open();
    store = subject.store;
    scratch = await mkdtemp(path.join(os.tmpdir(), 'blob-cases-'));
  });
  afterEach(async () => {
    await subject.cleanup();
    await rm(scratch, { recursive: true, force: true });
  });

  it('round-trips bytes put from a stream and read back as a stream, with their sha256 and size', async () => {
    const bytes = randomBytes(200_000);
    const stored = await store.put('runs/1/model.json', Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]));
    expect(stored).toEqual({ key: 'runs/1/model.json', sha256: sha256Of(bytes), size: bytes.length });
    expect(await readAll(await store.get('runs/1/model.json'))).toEqual(bytes);
    expect(await store.head('runs/1/model.json')).toEqual({ key: 'runs/1/model.json', sha256: sha256Of(bytes), size: bytes.length });
    expect(await store.exists('runs/1/model.json')).toBe(true);
    expect(await store.exists('runs/1/other.json')).toBe(false);
    expect(await store.head('runs/1/other.json')).toBeUndefined();
  });

  it('round-trips a file path to a file path, and replaces an object put again under its key', async () => {
    const source = path.join(scratch, 'snapshot.csv');
    await writeFile(source, 'a,b\n1,2\n');
    await store.put('snapshots/data.csv', { path: source });
    await writeFile(source, 'a,b\n3,4\n');
    const stored = await store.put('snapshots/data.csv', { path: source });
    const destination = path.join(scratch, 'out', 'copy.csv');
    expect(await store.getToFile('snapshots/data.csv', destination)).toEqual(stored);
    expect(await readFile(destination, 'utf8')).toBe('a,b\n3,4\n');
  });

  it('stores content-addressed bytes under sha256/<hex> once, whether given as a stream or a file', async () => {
    const bytes = Buffer.from('the same model, twice');
    const first = await store.putContentAddressed(Readable.from([bytes]));
    expect(first).toEqual({ key: `sha256/${sha256Of(bytes)}`, sha256: sha256Of(bytes), size: bytes.length });
    const stamp = await subject.writeStamp(first.key);
    const file = path.join(scratch, 'model.bin');
    await writeFile(file, bytes);
    expect(await store.putContentAddressed({ path: file })).toEqual(first);
    expect(await store.putContentAddressed(Readable.from([bytes]))).toEqual(first);
    expect(await subject.writeStamp(first.key)).toBe(stamp);
    expect(await store.list('sha256/')).toEqual([{ key: first.key, size: bytes.length }]);
    expect(await readAll(await store.get(first.key))).toEqual(bytes);
  });

  it('detects stored bytes altered after the put, naming the key, and writes no file for them', async () => {
    await store.put('models/churn/3/model.json', Readable.from([Buffer.from('{"weights":[1,2,3]}')]));
    await subject.corrupt('models/churn/3/model.json');
    await expect(readAll(await store.get('models/churn/3/model.json'))).rejects.toThrow(BlobIntegrityError);
    const destination = path.join(scratch, 'model.json');
    const failure = await store.getToFile('models/churn/3/model.json', destination).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BlobIntegrityError);
    expect((failure as Error).message).toContain('models/churn/3/model.json');
    expect(existsSync(destination)).toBe(false);

    const addressed = await store.putContentAddressed(Readable.from([Buffer.from('reference profile')]));
    await subject.corrupt(addressed.key);
    await expect(store.getToFile(addressed.key, destination)).rejects.toThrow(new RegExp(`${addressed.key}.*corrupt`));
  });

  it('lists every object under a prefix, sorted by key, across pages', async () => {
    const keys = [
      'logs/model=a/date=2024-01-02/part-0.parquet',
      'logs/model=a/date=2024-01-01/part-0.parquet',
      'logs/model=a/date=2024-01-01/part-1.parquet',
      'logs/model=ab/date=2024-01-01/part-0.parquet',
      'logs/model=b/date=2024-01-01/part-0.parquet',
      'reports/drift.json',
    ];
    for (const key of keys) await store.put(key, Readable.from([Buffer.from(key)]));
    const listed = (prefix: string) => store.list(prefix).then((objects) => objects.map((object) => object.key));
    expect(await listed('logs/model=a/')).toEqual([keys[1], keys[2], keys[0]]);
    expect(await listed('logs/model=a')).toEqual([keys[1], keys[2], keys[0], keys[3]]);
    expect(await listed('logs/model=a/date=2024-01-0')).toEqual([keys[1], keys[2], keys[0]]);
    expect(await listed('')).toEqual([...keys].sort());
    expect(await listed('nothing/')).toEqual([]);
    expect(await store.list('reports/')).toEqual([{ key: 'reports/drift.json', size: 'reports/drift.json'.length }]);
  });

  it('deletes an object, and deleting a missing key is not an error', async () => {
    await store.put('reports/old.json', Readable.from([Buffer.from('{}')]));
    await store.delete('reports/old.json');
    await store.delete('reports/old.json');
    expect(await store.exists('reports/old.json')).toBe(false);
    await expect(store.get('reports/old.json')).rejects.toThrow(BlobNotFoundError);
    await expect(store.getToFile('reports/old.json', path.join(scratch, 'x'))).rejects.toThrow(/no object "reports\/old.json"/);
  });

  it('leaves no object under the key when the source stream fails part-way', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(64 * 1024, 1));
        this.destroy(new Error('upstream connection reset'));
      },
    });
    await expect(store.put('snapshots/partial.parquet', failing)).rejects.toThrow('upstream connection reset');
    expect(await store.exists('snapshots/partial.parquet')).toBe(false);
    expect(await store.list('')).toEqual([]);
  });

  it.each([
    ['', /must not be empty/],
    ['/etc/passwd', /must not start with '\/'/],
    ['a/../../etc/passwd', /must not contain a '\.\.' part/],
    ['..', /must not contain a '\.\.' part/],
    ['a\0b', /NUL/],
    ['a//b', /empty part/],
    ['dir/', /must not end with '\/'/],
    ['.blobstore/tmp/x', /store's own/],
  ])('rejects the key %j with a clear error', async (key, reason) => {
    for (const attempt of [
      () => store.put(key, Readable.from([Buffer.from('x')])),
      () => store.get(key),
      () => store.head(key),
      () => store.delete(key),
    ]) {
      const error = await attempt().catch((failure: unknown) => failure);
      expect(error).toBeInstanceOf(InvalidBlobKeyError);
      expect((error as Error).message).toMatch(reason);
    }
    await expect(store.list('../')).rejects.toThrow(InvalidBlobKeyError);
    expect(await store.list('')).toEqual([]);
  });
}
