/**
 * GCS OBJECT_FINALIZE events train on exactly the object and generation they name, keyed by the
 * sha256 of its bytes, as S3 events do: the webhook server reads that generation through GCS's
 * S3-compatible XML API (here fake-gcs-server, a real GCS emulator) with the same S3 adapter the
 * pipelines use against storage.googleapis.com.
 *
 * Before: a GCS event started a run on whatever `data.source` named, keyed by the generation, so
 * two generations with the same bytes trained twice and the bytes that landed were never read.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { snapshotDataSource } from '../../src/data/data-source-snapshot.js';
import { resolveApiConfig } from '../../src/triggers/api-config.js';
import { startWebhookServer, type RunningApiServer } from '../../src/triggers/webhook-server.js';
import { startGcsServer, type RunningGcsServer } from '../support/gcs-server.js';
import { fraudDefinition, makeDataset, writeDefinition } from '../support/pipeline-fixtures.js';
import { gcsPushNotification, send, standardWebhookDelivery } from '../support/webhook-sender.js';

const SECRET = `whsec_${Buffer.from('gcs-events-webhook-secret-32byte').toString('base64')}`;
const model = `gcs-events-${randomUUID().slice(0, 8)}`;
const taskQueue = `test-gcs-events-${randomUUID()}`;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let gcs: RunningGcsServer;
let connection: Connection;
let client: Client;
let server: RunningApiServer;
let work: string;
let storage: { url: string; endpoint: string; forcePathStyle: true };
const bytes: Buffer[] = [];
const generations: string[] = [];

beforeAll(async () => {
  gcs = await startGcsServer();
  // GCS takes an HMAC key through its XML API; the emulator takes any signed request.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'GOOG1EXAMPLEHMACKEY', AWS_SECRET_ACCESS_KEY: 'example-hmac-secret', AWS_REGION: 'auto', AWS_EC2_METADATA_DISABLED: 'true' });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  await gcs.createBucket('landing-eu', { versioning: true });
  work = await mkdtemp(path.join(os.tmpdir(), 'mlops-gcs-events-'));
  for (const seed of [1, 2]) bytes.push(await readFile(await makeDataset(work, `day${seed}.csv`, { rows: 1200, seed })));
  // Two generations of one name, then the first bytes again as a third: the name now holds those.
  for (const content of [bytes[0]!, bytes[1]!, bytes[0]!]) generations.push(await gcs.upload('landing-eu', 'fraud/daily.csv', content));
  storage = { url: 's3://landing-eu/mlops', endpoint: gcs.endpoint, forcePathStyle: true };
  const definition = await writeDefinition(work, fraudDefinition('s3://landing-eu/fraud/daily.csv', { model, storage, registry: { kind: 'mlflow', trackingUri: 'http://127.0.0.1:9' } }));
  const settings = await resolveApiConfig(
    { port: 0, signatures: { standardWebhooks: { secretEnv: 'TEST_HOOK_SECRET' } }, pipelines: [{ file: definition, objects: [{ store: 'gcs', bucket: 'landing-eu', prefix: 'fraud/' }] }] },
    { baseDir: work, env: { TEST_HOOK_SECRET: SECRET } },
  );
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
  // No worker polls this task queue: a started run stays Running, and its input is read back.
  server = await startWebhookServer({ settings, client, taskQueue, dataDir: path.join(work, 'api-data'), log: () => undefined });
}, 900_000);

afterAll(async () => {
  await server?.close();
  if (client) {
    for await (const run of client.workflow.list({ query: `TaskQueue="${taskQueue}" AND ExecutionStatus="Running"` })) {
      await client.workflow.getHandle(run.workflowId, run.runId).terminate('test cleanup').catch(() => undefined);
    }
  }
  await connection?.close();
  await gcs?.stop();
});

async function startInput(workflowId: string): Promise<Record<string, unknown>> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const payload = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  return JSON.parse(Buffer.from(payload.data!).toString('utf8')) as Record<string, unknown>;
}

const event = (generation: string) => standardWebhookDelivery(SECRET, gcsPushNotification({ bucket: 'landing-eu', name: 'fraud/daily.csv', generation }));

describe('GCS OBJECT_FINALIZE events', () => {
  it("train on the event's generation (its sha256 is the data version), not the name's latest bytes", async () => {
    expect(generations[0]).not.toBe(generations[1]);
    const answer = await send(server.url, event(generations[1]!));
    const version = sha256(bytes[1]!).slice(0, 16);
    expect(answer).toMatchObject({ status: 202, body: { model, dataVersion: version, workflowId: `pipeline/${model}/${version}`, duplicate: false } });
    // The run reads that generation itself on a worker without the server's snapshot.
    expect(await startInput(`pipeline/${model}/${version}`)).toMatchObject({
      expectedDataVersion: sha256(bytes[1]!), dataObject: { bucket: 'landing-eu', key: 'fraud/daily.csv', generation: generations[1] },
    });
    const elsewhere = await snapshotDataSource('s3://landing-eu/fraud/daily.csv', path.join(work, 'worker-data'), { storage, object: { bucket: 'landing-eu', key: 'fraud/daily.csv', generation: generations[1]! } });
    expect(elsewhere.sha256).toBe(sha256(bytes[1]!));
  });

  it('start one run for the same bytes under two generations, and never share one between different bytes', async () => {
    const first = await send(server.url, event(generations[0]!));
    const again = await send(server.url, event(generations[2]!));
    const version = sha256(bytes[0]!).slice(0, 16);
    expect(first).toMatchObject({ status: 202, body: { dataVersion: version, duplicate: false } });
    expect(again).toMatchObject({ status: 202, body: { dataVersion: version, workflowId: `pipeline/${model}/${version}`, duplicate: true } });
    expect(version).not.toBe(sha256(bytes[1]!).slice(0, 16));
  });

  it('answer an event for a generation the bucket does not hold with an error naming it, and start nothing', async () => {
    const answer = await send(server.url, event('1234567890'));
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(answer.body)).toMatch(/generation 1234567890/);
  });
});
