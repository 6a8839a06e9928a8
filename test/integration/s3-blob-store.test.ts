/**
 * The s3:// blob store against a real S3 server (SeaweedFS, see test/support/object-store-server.ts):
 * the same behaviour as the file store, plus credentials and a large streamed object.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CreateBucketCommand, GetObjectCommand, GetObjectTaggingCommand, PutBucketVersioningCommand, PutObjectCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobStoreAccessError, type BlobStore } from '../../src/storage/blob-store.js';
import { openBlobStore } from '../../src/storage/open-blob-store.js';
import { blobStoreBehaviour, readAll } from '../support/blob-store-cases.js';
import { startObjectStore, type RunningObjectStore } from '../support/object-store-server.js';

let server: RunningObjectStore;

// Credentials reach the store the way they reach a worker: the SDK's default chain (here, env).
function useCredentials(accessKeyId: string | undefined, secretAccessKey: string | undefined): void {
  for (const [name, value] of [['AWS_ACCESS_KEY_ID', accessKeyId], ['AWS_SECRET_ACCESS_KEY', secretAccessKey]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

beforeAll(async () => {
  server = await startObjectStore();
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  process.env.AWS_EC2_METADATA_DISABLED = 'true'; // no instance-role lookups from a test machine
  useCredentials(server.accessKeyId, server.secretAccessKey);
});
afterAll(async () => {
  await server?.stop();
});

function openStore(prefix: string, options = {}): BlobStore {
  return openBlobStore({ url: `s3://${server.bucket}/${prefix}`, endpoint: server.endpoint }, options);
}

describe('S3BlobStore on SeaweedFS: the shared blob store behaviour', () => {
  blobStoreBehaviour(async () => {
    const prefix = `cases/${randomUUID()}`;
    // Two keys a page, so every listing in the cases crosses pages.
    const store = openStore(prefix, { listPageSize: 2 });
    const target = (key: string) => ({ Bucket: server.bucket, Key: `${prefix}/${key}` });
    return {
      store,
      async corrupt(key) {
        const object = await server.client.send(new GetObjectCommand(target(key)));
        const bytes = Buffer.from(await object.Body!.transformToByteArray());
        bytes[0] = bytes[0]! ^ 0xff;
        await server.client.send(new PutObjectCommand({ ...target(key), Body: bytes, Metadata: object.Metadata }));
      },
      // A tag survives until the object is written again (a new PUT starts with no tags).
      async writeStamp(key) {
        const { TagSet } = await server.client.send(new GetObjectTaggingCommand(target(key)));
        const stamp = TagSet?.find((tag) => tag.Key === 'stamp')?.Value;
        if (stamp) return stamp;
        const fresh = randomUUID();
        await server.client.send(new PutObjectTaggingCommand({ ...target(key), Tagging: { TagSet: [{ Key: 'stamp', Value: fresh }] } }));
        return fresh;
      },
      async cleanup() {
        for (const object of await store.list('')) await store.delete(object.key);
      },
    };
  });
});

describe('S3BlobStore credentials', () => {
  it('says the server refused the credentials, and where credentials come from, when they are wrong or missing', async () => {
    try {
      for (const [accessKeyId, secretAccessKey] of [
        [server.accessKeyId, 'not-the-secret'],
        ['AKIANOSUCHKEY', server.secretAccessKey],
        [undefined, undefined],
      ] as const) {
        useCredentials(accessKeyId, secretAccessKey);
        const store = openStore('credentials');
        const error = await store.put('model.json', Readable.from([Buffer.from('{}')])).catch((failure: unknown) => failure);
        expect(error).toBeInstanceOf(BlobStoreAccessError);
        expect((error as Error).message).toMatch(/refused access to "model.json".*AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or the instance role/);
        await expect(store.head('model.json')).rejects.toThrow(BlobStoreAccessError);
      }
    } finally {
      useCredentials(server.accessKeyId, server.secretAccessKey);
    }
    expect(await openStore('credentials').exists('model.json')).toBe(false);
  });

  it('names the bucket when it does not exist', async () => {
    const store = openBlobStore({ url: 's3://no-such-bucket/x', endpoint: server.endpoint });
    await expect(store.put('a.json', Readable.from([Buffer.from('{}')]))).rejects.toThrow(/bucket "no-such-bucket" does not exist/);
  });
});

describe('S3BlobStore versions', () => {
  it('reads the version asked for (GetObject with VersionId), and names a version that is not there', async () => {
    const bucket = `versioned-${randomUUID().slice(0, 8)}`;
    await server.client.send(new CreateBucketCommand({ Bucket: bucket }));
    await server.client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    const store = openBlobStore({ url: `s3://${bucket}`, endpoint: server.endpoint });
    const first = await server.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'day.csv', Body: 'a\n1\n' }));
    await store.put('day.csv', Readable.from([Buffer.from('a\n2\n')]));
    expect((await readAll(await store.get('day.csv'))).toString()).toBe('a\n2\n');
    expect((await readAll(await store.get('day.csv', { versionId: first.VersionId! }))).toString()).toBe('a\n1\n');
    await expect(store.get('day.csv', { versionId: 'nosuchversion0000' })).rejects.toMatchObject({ name: 'BlobNotFoundError', message: `no version "nosuchversion0000" of object "day.csv" in s3://${bucket}` });
  });

  it('refuses a GCS generation from a server that does not say which generation it served (not GCS\'s XML API)', async () => {
    const bucket = `plain-${randomUUID().slice(0, 8)}`;
    await server.client.send(new CreateBucketCommand({ Bucket: bucket }));
    const store = openBlobStore({ url: `s3://${bucket}`, endpoint: server.endpoint });
    await store.put('day.csv', Readable.from([Buffer.from('a\n2\n')]));
    // SeaweedFS ignores the parameter and answers with the key's bytes: they must not pass for generation 7.
    await expect(store.get('day.csv', { generation: '7' })).rejects.toMatchObject({
      name: 'BlobStoreAccessError',
      message: `s3://${bucket} did not say which generation of "day.csv" it served (no x-goog-generation): a generation is read through Google Cloud Storage's XML API (storage.endpoint https://storage.googleapis.com)`,
    });
  });
});

describe('S3BlobStore with a large object', () => {
  const size = 96 * 1024 * 1024;
  // The size of a file stream's reads: each stage of a pipeline holds one or two of them.
  const chunk = 64 * 1024;

  /** `size` bytes, each chunk different, made as they are read (never all in memory). */
  function generated(onChunk: (index: number) => void): { stream: Readable; sha256: () => string } {
    const hash = createHash('sha256');
    let index = 0;
    const stream = new Readable({
      read() {
        if (index * chunk >= size) return void this.push(null);
        const bytes = Buffer.alloc(chunk, index % 251);
        bytes.writeUInt32BE(index, 0);
        onChunk(index);
        index += 1;
        hash.update(bytes);
        this.push(bytes);
      },
    });
    let digest: string | undefined;
    return { stream, sha256: () => (digest ??= hash.digest('hex')) };
  }

  it('streams a 96 MiB put and get through multipart upload, holding far less than the object in memory', async () => {
    const store = openStore(`large/${randomUUID()}`, { partSizeBytes: 8 * 1024 * 1024 });
    // Warm up first (a multipart upload too): the SDK loads its code and builds its serializers
    // on the first requests of each kind, which is memory kept but not the object's.
    await store.put('warm-up', Readable.from([Buffer.alloc(9 * 1024 * 1024, 7)]));
    for await (const part of await store.get('warm-up')) void part;
    const memory = retainedMemory();
    const everyEighthMiB = (index: number) => index % ((8 * 1024 * 1024) / chunk) === 0 && memory.sample();
    const source = generated(everyEighthMiB);
    const stored = await store.put('snapshot.parquet', source.stream);
    memory.sample();
    expect(stored).toMatchObject({ size, sha256: source.sha256() });
    expect(await store.head('snapshot.parquet')).toEqual({ key: 'snapshot.parquet', size, sha256: source.sha256() });

    const hash = createHash('sha256');
    let received = 0;
    for await (const part of await store.get('snapshot.parquet')) {
      hash.update(part as Buffer);
      const before = received;
      received += (part as Buffer).length;
      if (Math.floor(received / 2 ** 23) > Math.floor(before / 2 ** 23)) memory.sample();
    }
    expect(received).toBe(size);
    expect(hash.digest('hex')).toBe(source.sha256());
    // Holding the object would keep 96 MiB; streaming keeps a few chunks and socket buffers
    // (seen: under 1 MiB, with spikes to 16 MiB while freed Buffers await V8's background sweeper).
    expect(memory.peakGrowth()).toBeLessThan(size / 3);
    await store.delete('snapshot.parquet');
    await store.delete('warm-up');
  });
});

/**
 * Peak growth of what is still held (JS heap plus Buffers) after a full garbage collection, read
 * at points the caller chooses: garbage awaiting a lazy collection is not memory kept.
 */
function retainedMemory(): { sample(): void; peakGrowth(): number } {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  const held = () => {
    collect();
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    return heapUsed + arrayBuffers;
  };
  const baseline = held();
  let peak = baseline;
  return {
    sample: () => void (peak = Math.max(peak, held())),
    peakGrowth: () => peak - baseline,
  };
}
