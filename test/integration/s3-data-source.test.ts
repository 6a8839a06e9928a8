/**
 * `data.source: s3://…` against a real S3 server (SeaweedFS): one object, one version of it, and
 * a prefix of Parquet or CSV parts, snapshotted into `<dataDir>/snapshots/<sha256>.<ext>`; and the
 * errors a person meets (no object, no bucket, wrong credentials, parts that do not match), each
 * naming data.source and what was expected.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineActivities } from '../../activities/pipeline-activities.js';
import { snapshotDataSource } from '../../src/data/data-source-snapshot.js';
import { DatasetError } from '../../src/data/dataset-error.js';
import { loadSnapshot } from '../../src/data/snapshot.js';
import { parseDefinitionObject } from '../../src/spec/load.js';
import { permissiveWorkerPolicy, resolveWorkerPolicy } from '../../src/policy/worker-policy.js';
import { runDuckDB } from '../unit/data/duckdb-files.js';
import { startObjectStore, type RunningObjectStore } from '../support/object-store-server.js';

let server: RunningObjectStore;
let work: string;
let storage: { url: string; endpoint: string };

function useCredentials(accessKeyId: string | undefined, secretAccessKey: string | undefined): void {
  for (const [name, value] of [['AWS_ACCESS_KEY_ID', accessKeyId], ['AWS_SECRET_ACCESS_KEY', secretAccessKey]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

beforeAll(async () => {
  server = await startObjectStore('landing');
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  useCredentials(server.accessKeyId, server.secretAccessKey);
  await server.client.send(new PutBucketVersioningCommand({ Bucket: server.bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  work = await mkdtemp(path.join(os.tmpdir(), 'mlops-s3-source-'));
  storage = { url: `s3://${server.bucket}/mlops`, endpoint: server.endpoint };
});
afterAll(async () => {
  await server?.stop();
});

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

async function put(key: string, body: Buffer | string): Promise<string | undefined> {
  return (await server.client.send(new PutObjectCommand({ Bucket: server.bucket, Key: key, Body: body }))).VersionId;
}

async function freshDataDir(): Promise<string> {
  return mkdtemp(path.join(work, 'data-'));
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof Error)) throw new Error('expected a failure');
  return error;
}

describe('data.source: one S3 object', () => {
  it('snapshots the object into <dataDir>/snapshots/<sha256>.<ext>: the data version is the sha256 of its bytes', async () => {
    const csv = `amount,country,label\n${Array.from({ length: 500 }, (_, i) => `${i * 1.5},c${i % 3},${i % 2}`).join('\n')}\n`;
    await put('fraud/day1.csv', csv);
    const dataDir = await freshDataDir();
    const snapshot = await snapshotDataSource(`s3://${server.bucket}/fraud/day1.csv`, dataDir, { storage });
    expect(snapshot).toEqual({
      sha256: sha256(csv), dataVersion: sha256(csv).slice(0, 16), path: path.join(dataDir, 'snapshots', `${sha256(csv)}.csv`),
      format: 'csv', sizeBytes: Buffer.byteLength(csv), source: `s3://${server.bucket}/fraud/day1.csv`,
    });
    expect(await readFile(snapshot.path, 'utf8')).toBe(csv);
    expect((await loadSnapshot(snapshot)).rowCount).toBe(500);
  });

  it('reads the version asked for, not what the key holds now', async () => {
    const first = await put('fraud/versioned.csv', 'x,y\n1,0\n2,1\n');
    await put('fraud/versioned.csv', 'x,y\n3,1\n4,0\n5,1\n');
    const dataDir = await freshDataDir();
    const old = await snapshotDataSource('ignored-when-an-object-is-named.csv', dataDir, { storage, object: { bucket: server.bucket, key: 'fraud/versioned.csv', versionId: first! } });
    expect(old.sha256).toBe(sha256('x,y\n1,0\n2,1\n'));
    const latest = await snapshotDataSource(`s3://${server.bucket}/fraud/versioned.csv`, dataDir, { storage });
    expect(latest.sha256).toBe(sha256('x,y\n3,1\n4,0\n5,1\n'));
    const missing = await failure(snapshotDataSource('x.csv', dataDir, { storage, object: { bucket: server.bucket, key: 'fraud/versioned.csv', versionId: 'nosuchversion0000' } }));
    expect(missing).toBeInstanceOf(DatasetError);
    expect(missing.message).toBe(`dataObject s3://${server.bucket}/fraud/versioned.csv (version "nosuchversion0000"): no such version of the object on the S3 server; expected a version the bucket keeps`);
  });

  it('uses a snapshot this host already holds for the expected data version, without reading the source again', async () => {
    const bytes = 'x,y\n7,1\n8,0\n';
    await put('fraud/held.csv', bytes);
    const dataDir = await freshDataDir();
    const first = await snapshotDataSource(`s3://${server.bucket}/fraud/held.csv`, dataDir, { storage });
    await server.client.send(new DeleteObjectCommand({ Bucket: server.bucket, Key: 'fraud/held.csv' }));
    const again = await snapshotDataSource(`s3://${server.bucket}/fraud/held.csv`, dataDir, { storage, expectedDataVersion: sha256(bytes) });
    expect(again).toEqual(first);
    expect((await snapshotDataSource(`s3://${server.bucket}/fraud/held.csv`, dataDir, { storage, expectedDataVersion: first.dataVersion })).path).toBe(first.path);
  });
});

describe('data.source: a prefix of parts', () => {
  it('joins Parquet parts in key order into one Parquet snapshot (same bytes every time), skipping bookkeeping objects', async () => {
    const local = await mkdtemp(path.join(work, 'parts-'));
    // part-10 sorts before part-2: key order, not number order.
    const parts = [['part-10.parquet', 0, 300], ['part-2.parquet', 300, 200], ['part-3.parquet', 500, 100]] as const;
    for (const [name, start, count] of parts) {
      await runDuckDB(`COPY (SELECT i AS id, i * 0.5 AS amount, 'c' || (i % 4) AS country, (i % 2)::INTEGER AS label FROM range(${start}, ${start + count}) t(i)) TO '${path.join(local, name)}' (FORMAT parquet)`);
      await put(`daily/2026-01/${name}`, await readFile(path.join(local, name)));
    }
    await put('daily/2026-01/_SUCCESS', '');
    await put('daily/2026-01/.part-2.parquet.crc', 'crc');
    await put('daily/2026-01-other.parquet', 'not under the prefix/');
    const dataDir = await freshDataDir();
    const snapshot = await snapshotDataSource(`s3://${server.bucket}/daily/2026-01/`, dataDir, { storage });
    expect(snapshot).toMatchObject({ format: 'parquet', path: path.join(dataDir, 'snapshots', `${snapshot.sha256}.parquet`), source: `s3://${server.bucket}/daily/2026-01/` });
    expect(sha256(await readFile(snapshot.path))).toBe(snapshot.sha256);
    const table = await loadSnapshot(snapshot);
    expect(table.rowCount).toBe(600);
    const ids = table.columns.find((column) => column.name === 'id')!;
    expect(ids.kind === 'numeric' && [ids.values[0], ids.values[299], ids.values[300], ids.values[599]]).toEqual([0, 299, 300, 599]);
    // Another host, the same parts: the same data version.
    expect((await snapshotDataSource(`s3://${server.bucket}/daily/2026-01/`, await freshDataDir(), { storage })).sha256).toBe(snapshot.sha256);
  });

  it('joins CSV parts byte for byte with one header: the sha256 is that of the concatenation', async () => {
    await put('csv-parts/a.csv', 'x,y\n1,0\n2,1\n');
    await put('csv-parts/b.csv', 'x,y\n3,1'); // no final line break
    await put('csv-parts/c.csv', 'x,y\r\n4,0\r\n');
    const snapshot = await snapshotDataSource(`s3://${server.bucket}/csv-parts/`, await freshDataDir(), { storage });
    const joined = 'x,y\n1,0\n2,1\n3,1\n4,0\r\n';
    expect(snapshot).toMatchObject({ sha256: sha256(joined), format: 'csv', sizeBytes: Buffer.byteLength(joined) });
    expect(await readFile(snapshot.path, 'utf8')).toBe(joined);
  });

  it('keeps a single part as it is, so it has the data version of that object', async () => {
    await put('single/only.csv', 'x,y\n1,1\n');
    expect((await snapshotDataSource(`s3://${server.bucket}/single/`, await freshDataDir(), { storage })).sha256).toBe(sha256('x,y\n1,1\n'));
  });

  it('refuses parts with another schema or format, naming data.source and the part', async () => {
    const local = await mkdtemp(path.join(work, 'bad-parts-'));
    await runDuckDB(
      `COPY (SELECT 1::BIGINT AS id, 2.5::DOUBLE AS amount) TO '${path.join(local, 'a.parquet')}' (FORMAT parquet)`,
      `COPY (SELECT 1::BIGINT AS id, 'high' AS amount) TO '${path.join(local, 'b.parquet')}' (FORMAT parquet)`,
    );
    await put('mismatch/a.parquet', await readFile(path.join(local, 'a.parquet')));
    await put('mismatch/b.parquet', await readFile(path.join(local, 'b.parquet')));
    const schema = await failure(snapshotDataSource(`s3://${server.bucket}/mismatch/`, await freshDataDir(), { storage }));
    expect(schema).toBeInstanceOf(DatasetError);
    expect(schema.message).toBe(
      `data.source s3://${server.bucket}/mismatch/: part s3://${server.bucket}/mismatch/b.parquet does not have the schema of s3://${server.bucket}/mismatch/a.parquet; ` +
        'expected every part to have the same columns and types ("id BIGINT, amount DOUBLE"), found ("id BIGINT, amount VARCHAR")',
    );

    await put('csv-mismatch/a.csv', 'x,y\n1,0\n');
    await put('csv-mismatch/b.csv', 'x,z\n1,0\n');
    expect((await failure(snapshotDataSource(`s3://${server.bucket}/csv-mismatch/`, await freshDataDir(), { storage }))).message).toBe(
      `data.source s3://${server.bucket}/csv-mismatch/: part s3://${server.bucket}/csv-mismatch/b.csv does not have the columns of s3://${server.bucket}/csv-mismatch/a.csv; expected the header "x,y", found "x,z"`,
    );

    await put('mixed/a.parquet', await readFile(path.join(local, 'a.parquet')));
    await put('mixed/b.csv', 'id,amount\n1,2.5\n');
    expect((await failure(snapshotDataSource(`s3://${server.bucket}/mixed/`, await freshDataDir(), { storage }))).message).toBe(
      `data.source s3://${server.bucket}/mixed/: part s3://${server.bucket}/mixed/b.csv is csv but the parts before it are parquet; expected every part in one format (or set data.format to read only one)`,
    );
    expect((await snapshotDataSource(`s3://${server.bucket}/mixed/`, await freshDataDir(), { storage, format: 'csv' })).sha256).toBe(sha256('id,amount\n1,2.5\n'));
  });

  it('says so when the prefix holds no parts', async () => {
    await put('empty-ish/README.txt', 'nothing to train on');
    const error = await failure(snapshotDataSource(`s3://${server.bucket}/empty-ish/`, await freshDataDir(), { storage }));
    expect(error).toMatchObject({ name: 'DatasetError', problem: 'not_found' });
    expect(error.message).toBe(`data.source s3://${server.bucket}/empty-ish/: no Parquet or CSV parts (.parquet, .pq, .csv) under this prefix; expected at least one (or name one object: s3://bucket/key without the trailing '/')`);
  });
});

describe('data.source errors', () => {
  it('a missing object names data.source and what was expected', async () => {
    const error = await failure(snapshotDataSource(`s3://${server.bucket}/fraud/nope.csv`, await freshDataDir(), { storage }));
    expect(error).toMatchObject({ name: 'DatasetError', problem: 'not_found' });
    expect(error.message).toBe(`data.source s3://${server.bucket}/fraud/nope.csv: no such object on the S3 server; expected an existing object (or end the URL with '/' to read every Parquet and CSV part under a prefix)`);
  });

  it('a missing bucket names data.source and the bucket', async () => {
    const error = await failure(snapshotDataSource('s3://no-such-bucket/fraud/day1.csv', await freshDataDir(), { storage: { url: 's3://no-such-bucket', endpoint: server.endpoint } }));
    expect(error).toBeInstanceOf(DatasetError);
    expect(error.message).toMatch(/^data\.source s3:\/\/no-such-bucket\/fraud\/day1\.csv: s3:\/\/no-such-bucket: bucket "no-such-bucket" does not exist on the S3 server/);
  });

  it('wrong or missing credentials name data.source and where credentials come from', async () => {
    await put('fraud/secret.csv', 'x,y\n1,0\n');
    try {
      for (const [accessKeyId, secretAccessKey] of [[server.accessKeyId, 'not-the-secret'], [undefined, undefined]] as const) {
        useCredentials(accessKeyId, secretAccessKey);
        const error = await failure(snapshotDataSource(`s3://${server.bucket}/fraud/secret.csv`, await freshDataDir(), { storage }));
        expect(error).toMatchObject({ name: 'DatasetError', problem: 'unreadable' });
        expect(error.message).toMatch(/^data\.source s3:\/\/landing\/fraud\/secret\.csv: s3:\/\/landing: the S3 server refused access to "fraud\/secret\.csv" .*Credentials come from the AWS SDK default chain/);
      }
    } finally {
      useCredentials(server.accessKeyId, server.secretAccessKey);
    }
  });

  it('through the snapshotData activity: non-retryable, and the worker policy decides which buckets may be read', async () => {
    await put('fraud/policy.csv', 'x,y\n1,0\n');
    const { definition } = parseDefinitionObject({ model: 'fraud', data: { source: `s3://${server.bucket}/fraud/policy.csv`, target: 'y' }, storage, registry: { kind: 'mlflow', trackingUri: 'http://127.0.0.1:5000' } });
    const open = createPipelineActivities({ dataDir: await freshDataDir(), codeVersion: 'test', policy: permissiveWorkerPolicy() });
    expect((await open.snapshotData({ definition })).sha256).toBe(sha256('x,y\n1,0\n'));
    const missing = await failure(open.snapshotData({ definition: { ...definition, data: { ...definition.data, source: `s3://${server.bucket}/fraud/gone.csv` } } }));
    expect(missing).toMatchObject({ type: 'DatasetError', nonRetryable: true });

    const churnOnly = resolveWorkerPolicy({ data: { roots: [`s3://${server.bucket}/churn`] } }, work, 'a test policy');
    const closed = createPipelineActivities({ dataDir: await freshDataDir(), codeVersion: 'test', policy: churnOnly });
    const refused = await failure(closed.snapshotData({ definition }));
    expect(refused).toMatchObject({ type: 'PolicyViolation', nonRetryable: true });
    expect(refused.message).toMatch(/^PolicyViolation: data\.source: "s3:\/\/landing\/fraud\/policy\.csv" is not under a data root of a test policy/);
    // The object a run's input names is held to the same roots.
    const object = await failure(closed.snapshotData({ definition: { ...definition, data: { ...definition.data, source: `s3://${server.bucket}/churn/` } }, dataObject: { bucket: server.bucket, key: 'fraud/policy.csv' } }));
    expect(object.message).toMatch(/is not under a data root/);
  });
});
