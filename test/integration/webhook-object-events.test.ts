/**
 * S3 ObjectCreated events train on exactly the object and version they name, keyed by the
 * sha256 of its bytes: the webhook server downloads the object from a real S3 server
 * (SeaweedFS), and a real worker on the suite's Temporal dev server runs the pipeline.
 *
 * - An event for an older version trains on that version's bytes (not the key's latest), also
 *   on a worker that does not share the server's data directory (it reads the version itself).
 * - The same bytes under a second event (a new version of the same content) start no second run.
 * - Different bytes under a reused event version (an overwrite in an unversioned bucket, whose
 *   events all say version "null") start a new run, and the first run still trains on the bytes
 *   its event was hashed on, read from the snapshot the server took.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/registry/open-registry.js';
import type { PipelineResult } from '../../src/temporal/pipeline-status.js';
import { resolveApiConfig, type ApiServerSettings } from '../../src/triggers/api-config.js';
import { startWebhookServer, type RunningApiServer } from '../../src/triggers/webhook-server.js';
import { startMlflow, type RunningMlflow } from '../support/mlflow-server.js';
import { fraudDefinition, makeDataset, writeDefinition } from '../support/pipeline-fixtures.js';
import { startObjectStore, type RunningObjectStore } from '../support/object-store-server.js';
import { s3Notification, send, standardWebhookDelivery } from '../support/webhook-sender.js';
import { createWorkflowTestEnvironment, type WorkflowTestEnvironment } from '../support/workflow-environment.js';

const SECRET = `whsec_${Buffer.from('object-events-webhook-secret-32b').toString('base64')}`;
const suffix = randomUUID().slice(0, 8);
const versionedModel = `s3-events-${suffix}`;
const plainModel = `s3-events-plain-${suffix}`;
const PLAIN_BUCKET = 'plain-landing';

let objects: RunningObjectStore;
/** The registry every host shares: with s3:// storage the embedded (one-host) registry is refused. */
let mlflow: RunningMlflow;
let env: WorkflowTestEnvironment;
let settings: ApiServerSettings;
/** Shares the worker's data directory, as `mlops api` and a worker on one host do. */
let sameHost: RunningApiServer;
/** Has its own data directory: the worker must read the event's object version itself. */
let otherHost: RunningApiServer;
let work: string;
const datasets: Record<string, Buffer> = {};

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  objects = await startObjectStore('landing');
  mlflow = await startMlflow();
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  // The API server and the worker find credentials the same way: the SDK's default chain (env here).
  process.env.AWS_ACCESS_KEY_ID = objects.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = objects.secretAccessKey;
  await objects.client.send(new PutBucketVersioningCommand({ Bucket: 'landing', VersioningConfiguration: { Status: 'Enabled' } }));
  await objects.client.send(new CreateBucketCommand({ Bucket: PLAIN_BUCKET }));

  work = await mkdtemp(path.join(os.tmpdir(), 'mlops-object-events-'));
  for (const [name, seed] of [['a', 1], ['b', 2], ['c', 3], ['d', 4]] as const) datasets[name] = await readFile(await makeDataset(work, `${name}.csv`, { rows: 1500, seed }));
  const versioned = await writeDefinition(work, fraudDefinition('s3://landing/fraud/', { model: versionedModel, storage: { url: 's3://landing/mlops', endpoint: objects.endpoint }, registry: mlflow.registrySection() }), 'versioned.yaml');
  const plain = await writeDefinition(work, fraudDefinition(`s3://${PLAIN_BUCKET}/`, { model: plainModel, storage: { url: `s3://${PLAIN_BUCKET}/mlops`, endpoint: objects.endpoint }, registry: mlflow.registrySection() }), 'plain.yaml');

  env = await createWorkflowTestEnvironment({ dataDir: path.join(work, 'worker-data') });
  settings = await resolveApiConfig(
    {
      port: 0,
      signatures: { standardWebhooks: { secretEnv: 'TEST_HOOK_SECRET' } },
      pipelines: [
        { file: versioned, objects: [{ store: 's3', bucket: 'landing', prefix: 'fraud/' }] },
        { file: plain, objects: [{ store: 's3', bucket: PLAIN_BUCKET }] },
      ],
    },
    { baseDir: work, env: { TEST_HOOK_SECRET: SECRET } },
  );
  const common = { settings, client: env.client, taskQueue: env.settings.taskQueue, log: () => undefined };
  sameHost = await startWebhookServer({ ...common, dataDir: env.settings.dataDir });
  otherHost = await startWebhookServer({ ...common, dataDir: path.join(work, 'api-data') });
}, 180_000);

afterAll(async () => {
  await sameHost?.close();
  await otherHost?.close();
  await env?.close();
  await objects?.stop();
  await mlflow?.stop();
});

async function putObject(bucket: string, key: string, body: Buffer): Promise<string | undefined> {
  return (await objects.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))).VersionId;
}

async function startInput(workflowId: string): Promise<unknown> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const payload = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  return JSON.parse(Buffer.from(payload.data!).toString('utf8'));
}

async function resultOf(workflowId: string): Promise<PipelineResult> {
  return env.run(() => env.client.workflow.getHandle(workflowId).result() as Promise<PipelineResult>);
}

async function executions(workflowId: string): Promise<number> {
  let count = 0;
  for await (const _run of env.client.workflow.list({ query: `WorkflowId="${workflowId}"` })) count += 1;
  return count;
}

/** The data version the registry recorded for the version a run registered: the full sha256 of what it trained on. */
async function registeredDataVersion(model: string, version: number): Promise<string | undefined> {
  const registry = await openRegistry(mlflow.registrySection(), { dataDir: env.settings.dataDir });
  try {
    return (await registry.getVersion(model, version))?.lineage.dataVersion;
  } finally {
    await registry.close();
  }
}

describe('S3 ObjectCreated events', () => {
  it("train on the event's object version (its sha256 is the data version), not the key's latest bytes", async () => {
    const key = 'fraud/2026-01-05/transactions.csv';
    const first = await putObject('landing', key, datasets.a!);
    await putObject('landing', key, datasets.b!); // the key now holds other bytes
    const expected = sha256(datasets.a!);
    const workflowId = `pipeline/${versionedModel}/${expected.slice(0, 16)}`;

    const event = s3Notification({ bucket: 'landing', encodedKey: encodeURIComponent(key).replace(/%2F/g, '/'), versionId: first, size: datasets.a!.length });
    const answer = await send(otherHost.url, standardWebhookDelivery(SECRET, event));
    expect(answer).toMatchObject({ status: 202, body: { model: versionedModel, dataVersion: expected.slice(0, 16), workflowId, duplicate: false } });
    expect(await startInput(workflowId)).toEqual({
      pipelineFile: settings.pipelines[0]!.file, trigger: 'webhook', expectedDataVersion: expected, dataObject: { bucket: 'landing', key, versionId: first },
    });

    const details = await env.client.workflow.getHandle(workflowId).describe();
    expect(await details.staticDetails()).toBe(`Started by the new-data webhook for s3://landing/${key} (version ${first})`);

    const result = await resultOf(workflowId);
    expect(result.dataVersion).toBe(expected.slice(0, 16));
    expect(await registeredDataVersion(versionedModel, result.version!)).toBe(expected);
    // The worker had no snapshot of it (the server's is on "another host"): it read that version itself.
    expect(await readFile(path.join(env.settings.dataDir, 'snapshots', `${expected}.csv`))).toEqual(datasets.a);
    expect((await stat(path.join(work, 'api-data', 'snapshots', `${expected}.csv`))).size).toBe(datasets.a!.length);
  }, 240_000);

  it('start no second run for the same bytes under a second event (a new version with the same content)', async () => {
    const again = await putObject('landing', 'fraud/2026-01-06/transactions.csv', datasets.a!);
    const workflowId = `pipeline/${versionedModel}/${sha256(datasets.a!).slice(0, 16)}`;
    const answer = await send(sameHost.url, standardWebhookDelivery(SECRET, s3Notification({ bucket: 'landing', encodedKey: 'fraud/2026-01-06/transactions.csv', versionId: again })));
    expect(answer).toMatchObject({ status: 202, body: { workflowId, duplicate: true } });
    expect(await executions(workflowId)).toBe(1);
  });

  it('start a new run for different bytes under a reused event version, and the first run keeps the bytes it was keyed by', async () => {
    // An unversioned bucket: every event says version "null", whatever the key holds.
    const event = s3Notification({ bucket: PLAIN_BUCKET, encodedKey: 'daily.csv', versionId: 'null', eTag: 'reused-etag', sequencer: '0055AED6DCD90281E5' });
    await putObject(PLAIN_BUCKET, 'daily.csv', datasets.c!);
    const first = await send(sameHost.url, standardWebhookDelivery(SECRET, event));
    const firstId = `pipeline/${plainModel}/${sha256(datasets.c!).slice(0, 16)}`;
    expect(first).toMatchObject({ status: 202, body: { workflowId: firstId, duplicate: false } });

    // Overwritten at once, maybe before the worker even took the first run's snapshot.
    await putObject(PLAIN_BUCKET, 'daily.csv', datasets.d!);
    const second = await send(sameHost.url, standardWebhookDelivery(SECRET, event));
    const secondId = `pipeline/${plainModel}/${sha256(datasets.d!).slice(0, 16)}`;
    expect(second).toMatchObject({ status: 202, body: { workflowId: secondId, duplicate: false } });
    expect(secondId).not.toBe(firstId);

    const [one, two] = await Promise.all([resultOf(firstId), resultOf(secondId)]);
    expect(await registeredDataVersion(plainModel, one.version!)).toBe(sha256(datasets.c!));
    expect(await registeredDataVersion(plainModel, two.version!)).toBe(sha256(datasets.d!));
  }, 300_000);

  it('answer 422 for an object version that is not there, naming it, before starting anything', async () => {
    const event = s3Notification({ bucket: 'landing', encodedKey: 'fraud/never-written.csv', versionId: 'nosuchversion0000' });
    const answer = await send(sameHost.url, standardWebhookDelivery(SECRET, event));
    expect(answer).toEqual({
      status: 422,
      body: {
        error: 'cannot read s3://landing/fraud/never-written.csv (version nosuchversion0000) to version it by its bytes: dataObject s3://landing/fraud/never-written.csv (version "nosuchversion0000"): no such version of the object on the S3 server; expected a version the bucket keeps',
        runs: [],
      },
    });
  });
});
