import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FileBlobStore } from '../../../src/storage/file-blob-store.js';
import { openBlobStore } from '../../../src/storage/open-blob-store.js';
import { S3BlobStore } from '../../../src/storage/s3-blob-store.js';
import { StorageConfig } from '../../../src/storage/storage-config.js';
import { blobStoreBehaviour, readAll } from '../../support/blob-store-cases.js';

async function openFileStore() {
  const root = await mkdtemp(path.join(os.tmpdir(), 'file-blob-store-'));
  const store = openBlobStore({ url: pathToFileURL(root).href }) as FileBlobStore;
  return { root, store };
}

describe('FileBlobStore: the shared blob store behaviour', () => {
  blobStoreBehaviour(async () => {
    const { root, store } = await openFileStore();
    return {
      store,
      async corrupt(key) {
        const file = path.join(root, key);
        const bytes = await readFile(file);
        bytes[0] = bytes[0]! ^ 0xff;
        await writeFile(file, bytes);
      },
      // A rewrite renames a new file into place, so the inode changes.
      writeStamp: async (key) => String((await stat(path.join(root, key), { bigint: true })).ino),
      cleanup: () => rm(root, { recursive: true, force: true }),
    };
  });
});

describe('FileBlobStore on disk', () => {
  it('keeps each object as a plain file at <root>/<key>, readable in place', async () => {
    const { root, store } = await openFileStore();
    await store.put('snapshots/run-1/data.csv', Readable.from([Buffer.from('a,b\n1,2\n')]));
    expect(await readFile(path.join(root, 'snapshots/run-1/data.csv'), 'utf8')).toBe('a,b\n1,2\n');
    expect(await readdir(path.join(root, '.blobstore/tmp'))).toEqual([]);
    await rm(root, { recursive: true, force: true });
  });

  it('never shows a half-written object under its key while the put is still streaming', async () => {
    const { root, store } = await openFileStore();
    let sent = 0;
    let seenMidway: boolean | undefined;
    const slow = new Readable({
      read() {
        sent += 1;
        if (sent === 5) {
          void store.exists('big.bin').then((present) => {
            seenMidway = present;
            this.push(Buffer.alloc(1024, 2));
            this.push(null);
          });
          return;
        }
        this.push(Buffer.alloc(1024, 1));
      },
    });
    await store.put('big.bin', slow);
    expect(seenMidway).toBe(false);
    expect((await stat(path.join(root, 'big.bin'))).size).toBe(5 * 1024);
    await rm(root, { recursive: true, force: true });
  });

  it('serves a file placed in the tree by hand (no recorded hash) and reports its size', async () => {
    const { root, store } = await openFileStore();
    await store.put('placeholder', Readable.from([Buffer.from('x')]));
    await writeFile(path.join(root, 'landed.csv'), 'a\n1\n');
    expect(await store.head('landed.csv')).toEqual({ key: 'landed.csv', size: 4 });
    expect((await readAll(await store.get('landed.csv'))).toString()).toBe('a\n1\n');
    await rm(root, { recursive: true, force: true });
  });
});

describe('FileBlobStore versions', () => {
  it('keeps one version of each object: reading a named version is refused, saying why', async () => {
    const { root, store } = await openFileStore();
    await store.put('data.csv', Readable.from([Buffer.from('a\n1\n')]));
    expect((await readAll(await store.get('data.csv', {}))).toString()).toBe('a\n1\n');
    await expect(store.get('data.csv', { versionId: 'v1' })).rejects.toMatchObject({ name: 'BlobVersionUnsupportedError', message: `${store.url} keeps one version of each object: cannot read version "v1" of "data.csv"` });
    await expect(store.getToFile('data.csv', path.join(root, 'copy.csv'), { versionId: 'v1' })).rejects.toThrow(/keeps one version of each object/);
    await rm(root, { recursive: true, force: true });
  });
});

describe('storage config', () => {
  it('opens file:// as the file store and s3:// as the S3 store with its prefix', () => {
    const directory = path.join(os.tmpdir(), `never-created-${randomUUID()}`);
    expect(openBlobStore({ url: pathToFileURL(directory).href })).toBeInstanceOf(FileBlobStore);
    const s3 = openBlobStore({ url: 's3://mlops-data/team-a/pipelines/', endpoint: 'http://127.0.0.1:9' });
    expect(s3).toBeInstanceOf(S3BlobStore);
    expect(s3.url).toBe('s3://mlops-data/team-a/pipelines');
  });

  it.each([
    [{ url: 'file://relative/dir' }, /absolute file URL/],
    [{ url: 's3://Bad_Bucket!/x' }, /bucket name/],
    [{ url: 's3://bucket/a/../b' }, /must not contain '\.\.'/],
    [{ url: 'gs://bucket/x' }, /starting with file:\/\/\/ or s3:\/\//],
    [{ url: 's3://bucket/x', endpoint: 'ftp://host' }, /http\(s\) URL/],
    [{ url: 'file:///srv/mlops', endpoint: 'http://127.0.0.1:8333' }, /s3:\/\/ storage only/],
    [{ url: 's3://bucket/x', accessKeyId: 'AKIA', secretAccessKey: 'secret' }, /credentials do not belong in the definition.*AWS_ACCESS_KEY_ID/],
    [{ url: 's3://bucket/x', bucketName: 'y' }, /unknown storage setting "bucketName"/],
  ])('refuses %j with a message saying what to fix', (config, message) => {
    const result = StorageConfig.safeParse(config);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message).join('\n')).toMatch(message);
  });
});
