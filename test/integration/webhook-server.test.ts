import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { sha256File } from '../../src/data/content-hash.js';
import { resolveApiConfig, type ApiServerSettings } from '../../src/triggers/api-config.js';
import { startWebhookServer, type RunningApiServer } from '../../src/triggers/webhook-server.js';
import { gcsPushNotification, githubDelivery, s3Notification, send, standardWebhookDelivery } from '../support/webhook-sender.js';

const SECRET = `whsec_${Buffer.from('new-data-webhook-test-secret-32b').toString('base64')}`;
const GITHUB_SECRET = 'github-style-secret';
const suffix = randomUUID().slice(0, 8);
const modelA = `hook-a-${suffix}`;
const modelB = `hook-b-${suffix}`;

/**
 * The server against the suite's real Temporal dev server, on a throwaway task queue that no
 * worker polls: a started run stays Running, so "started" and "not started" are read back with
 * describe and list, and every run is terminated at the end.
 */
describe('new-data webhook server', () => {
  let connection: Connection;
  let client: Client;
  let server: RunningApiServer;
  let settings: ApiServerSettings;
  let dataFileA: string;
  const taskQueue = `test-webhook-${randomUUID()}`;
  const lines: string[] = [];

  beforeAll(async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mlops-webhook-'));
    dataFileA = path.join(dir, 'a.csv');
    await writeFile(dataFileA, 'x,y\n1,0\n2,1\n');
    await writeFile(path.join(dir, 'pipeline-a.yaml'), stringify({ model: modelA, data: { source: 'a.csv', target: 'y' } }));
    await writeFile(path.join(dir, 'pipeline-b.yaml'), stringify({ model: modelB, data: { source: 'a.csv', target: 'y' } }));
    const config = {
      port: 0,
      bodyLimitBytes: 4096,
      signatures: { standardWebhooks: { secretEnv: 'TEST_HOOK_SECRET' }, github: { secretEnv: 'TEST_GITHUB_SECRET' } },
      pipelines: [
        { file: 'pipeline-a.yaml', objects: [{ store: 's3', bucket: 'landing', prefix: 'fraud/' }, { bucket: 'landing-eu', prefix: 'fraud/' }] },
        { file: 'pipeline-b.yaml', objects: [{ bucket: 'landing', prefix: 'fraud/daily/' }] },
      ],
    };
    await writeFile(path.join(dir, 'api.yaml'), stringify(config));
    settings = await resolveApiConfig(config, { baseDir: dir, env: { TEST_HOOK_SECRET: SECRET, TEST_GITHUB_SECRET: GITHUB_SECRET } });
    connection = await Connection.connect({ address: inject('temporalAddress') });
    client = new Client({ connection });
    server = await startWebhookServer({ settings, client, taskQueue, log: (line) => lines.push(line) });
  });

  afterAll(async () => {
    await server?.close();
    for await (const run of client.workflow.list({ query: `TaskQueue="${taskQueue}" AND ExecutionStatus="Running"` })) {
      await client.workflow.getHandle(run.workflowId, run.runId).terminate('test cleanup').catch(() => undefined);
    }
    await connection?.close();
  });

  /** Runs the dev server knows on this task queue (visibility catches up within a moment). */
  async function runsOnQueue(expected?: number): Promise<string[]> {
    let ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      ids = [];
      for await (const run of client.workflow.list({ query: `TaskQueue="${taskQueue}"` })) ids.push(run.workflowId);
      if (expected === undefined || ids.length === expected) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return ids.sort();
  }

  async function startInput(workflowId: string): Promise<unknown> {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const payload = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    return JSON.parse(Buffer.from(payload.data!).toString('utf8'));
  }

  async function expectNotStarted(workflowId: string): Promise<void> {
    await expect(client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  }

  it('answers /health with the served models', async () => {
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', models: [modelA, modelB] });
  });

  it('starts one run for a good Standard Webhooks delivery, keyed by the data version', async () => {
    const answer = await send(server.url, standardWebhookDelivery(SECRET, { model: modelA, dataVersion: 'v-2025-01-01', source: 's3://landing/fraud/x.csv' }));
    const workflowId = `pipeline/${modelA}/v-2025-01-01`;
    expect(answer).toEqual({ status: 202, body: { model: modelA, dataVersion: 'v-2025-01-01', workflowId, duplicate: false, runs: [{ model: modelA, dataVersion: 'v-2025-01-01', workflowId, duplicate: false }] } });
    const description = await client.workflow.getHandle(workflowId).describe();
    expect(description).toMatchObject({ type: 'modelPipeline', taskQueue, status: { name: 'RUNNING' } });
    expect(await startInput(workflowId)).toEqual({ pipelineFile: settings.pipelines[0]!.file, trigger: 'webhook' });
  });

  it('starts one run when the same event arrives twice (new delivery ids): the second is duplicate: true', async () => {
    const payload = { model: modelA, dataVersion: 'twice-1' };
    const first = await send(server.url, standardWebhookDelivery(SECRET, payload));
    const second = await send(server.url, standardWebhookDelivery(SECRET, payload));
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(first.body).toMatchObject({ workflowId: `pipeline/${modelA}/twice-1`, duplicate: false });
    expect(second.body).toMatchObject({ workflowId: `pipeline/${modelA}/twice-1`, duplicate: true });
    const executions: string[] = [];
    for await (const run of client.workflow.list({ query: `WorkflowId="pipeline/${modelA}/twice-1"` })) executions.push(run.runId);
    expect(executions).toHaveLength(1);
    expect(lines.filter((line) => line.includes('twice-1'))).toEqual([
      `new-data: started pipeline/${modelA}/twice-1 (webhook)`,
      `new-data: already started pipeline/${modelA}/twice-1 (webhook)`,
    ]);
  });

  it('versions the data by its hash when the event names no version, and has the run check it', async () => {
    const answer = await send(server.url, standardWebhookDelivery(SECRET, { model: modelA }));
    const version = (await sha256File(dataFileA)).sha256.slice(0, 16);
    expect(answer.body).toMatchObject({ workflowId: `pipeline/${modelA}/${version}`, duplicate: false });
    expect(await startInput(`pipeline/${modelA}/${version}`)).toEqual({ pipelineFile: settings.pipelines[0]!.file, trigger: 'webhook', expectedDataVersion: version });
  });

  it('accepts a GitHub-style X-Hub-Signature-256 and refuses a wrong one', async () => {
    const good = await send(server.url, githubDelivery(GITHUB_SECRET, { model: modelB, dataVersion: 'gh-1' }));
    expect(good).toMatchObject({ status: 202, body: { workflowId: `pipeline/${modelB}/gh-1` } });
    const bad = await send(server.url, githubDelivery('not-the-secret', { model: modelB, dataVersion: 'gh-2' }));
    expect(bad).toEqual({ status: 401, body: { error: 'bad signature: X-Hub-Signature-256 does not match the body signed with the configured secret' } });
    await expectNotStarted(`pipeline/${modelB}/gh-2`);
  });

  describe('rejects, and starts nothing', () => {
    it('a bad signature (401)', async () => {
      const answer = await send(server.url, standardWebhookDelivery(`whsec_${Buffer.from('another-secret').toString('base64')}`, { model: modelA, dataVersion: 'bad-sig' }));
      expect(answer).toEqual({ status: 401, body: { error: 'bad signature: webhook-signature does not match the body signed with the configured secret' } });
      await expectNotStarted(`pipeline/${modelA}/bad-sig`);
    });

    it('a body changed after signing (401)', async () => {
      const delivery = standardWebhookDelivery(SECRET, { model: modelA, dataVersion: 'tampered' });
      const answer = await send(server.url, { ...delivery, body: delivery.body.replace('tampered', 'tampere2') });
      expect(answer.status).toBe(401);
      await expectNotStarted(`pipeline/${modelA}/tampere2`);
    });

    it('an unsigned delivery (401) saying which headers to send', async () => {
      const answer = await send(server.url, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: modelA, dataVersion: 'unsigned' }) });
      expect(answer).toEqual({ status: 401, body: { error: 'missing signature: send webhook-id, webhook-timestamp and webhook-signature (Standard Webhooks), or X-Hub-Signature-256' } });
      await expectNotStarted(`pipeline/${modelA}/unsigned`);
    });

    it('a stale timestamp (401), even correctly signed', async () => {
      const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
      const answer = await send(server.url, standardWebhookDelivery(SECRET, { model: modelA, dataVersion: 'stale' }, { timestampSeconds: tenMinutesAgo }));
      expect(answer.status).toBe(401);
      expect(answer.body.error).toMatch(/^stale timestamp: webhook-timestamp is 6\d\d s old; the tolerance is ±300 s/);
      const future = await send(server.url, standardWebhookDelivery(SECRET, { model: modelA, dataVersion: 'stale' }, { timestampSeconds: tenMinutesAgo + 1200 }));
      expect(future.body.error).toMatch(/s in the future/);
      await expectNotStarted(`pipeline/${modelA}/stale`);
    });

    it('a replayed delivery id (409), and the replay starts nothing new', async () => {
      const delivery = standardWebhookDelivery(SECRET, { model: modelA, dataVersion: 'replayed' });
      expect((await send(server.url, delivery)).status).toBe(202);
      // Visibility is eventually consistent: wait until the run the first delivery started is listed.
      let before = await runsOnQueue();
      for (let i = 0; i < 50 && !before.includes(`pipeline/${modelA}/replayed`); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        before = await runsOnQueue();
      }
      expect(before).toContain(`pipeline/${modelA}/replayed`);
      const replay = await send(server.url, delivery);
      expect(replay).toEqual({ status: 409, body: { error: `replayed delivery: id ${delivery.headers['webhook-id']} was already received (send new deliveries with a new id)` } });
      expect(await runsOnQueue(before.length)).toEqual(before);
    });

    it('a replayed GitHub delivery id (409)', async () => {
      const delivery = githubDelivery(GITHUB_SECRET, { model: modelB, dataVersion: 'gh-replay' });
      expect((await send(server.url, delivery)).status).toBe(202);
      expect((await send(server.url, delivery)).status).toBe(409);
    });

    it('an oversize body (413)', async () => {
      const answer = await send(server.url, standardWebhookDelivery(SECRET, { model: modelA, dataVersion: 'big', source: 'x'.repeat(5000) }));
      expect(answer).toEqual({ status: 413, body: { error: 'body too large: the limit is 4096 bytes (bodyLimitBytes)' } });
      await expectNotStarted(`pipeline/${modelA}/big`);
    });

    it('malformed JSON (400)', async () => {
      const before = await runsOnQueue();
      const answer = await send(server.url, standardWebhookDelivery(SECRET, undefined, { raw: '{"model": "hook-a", "dataVersion": ' }));
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatch(/^malformed JSON: /);
      expect(await runsOnQueue(before.length)).toEqual(before);
    });

    it('an invalid payload (400 naming the field)', async () => {
      const typo = await send(server.url, standardWebhookDelivery(SECRET, { model: modelA, dataversion: 'x' }));
      expect(typo).toEqual({ status: 400, body: { error: 'invalid new-data event: (root): unknown field(s) dataversion' } });
      const badModel = await send(server.url, standardWebhookDelivery(SECRET, { model: 42 }));
      expect(badModel.body.error).toMatch(/^invalid new-data event: model: expected a model name, got 42/);
      const badVersion = await send(server.url, standardWebhookDelivery(SECRET, { model: modelA, dataVersion: '../etc' }));
      expect(badVersion.body.error).toMatch(/^invalid new-data event: dataVersion: expected 1-128 letters/);
    });

    it('an unknown model (404)', async () => {
      const answer = await send(server.url, standardWebhookDelivery(SECRET, { model: 'nobody', dataVersion: 'v1' }));
      expect(answer).toEqual({ status: 404, body: { error: `model: no pipeline for "nobody" on this server (serving: ${modelA}, ${modelB})` } });
    });
  });

  describe('object-store events', () => {
    // Routed S3 records are versioned by the object's bytes, downloaded from a real S3 server:
    // test/integration/webhook-object-events.test.ts (and the fan-out to several pipelines in
    // test/unit/triggers/new-data-routes.test.ts). Here: what is refused or ignored before any download.
    it('ignores records no pipeline routes and non-create events (200, nothing started)', async () => {
      const other = await send(server.url, standardWebhookDelivery(SECRET, s3Notification({ bucket: 'landing', encodedKey: 'images/cat.png', versionId: 'ign-1' })));
      expect(other).toEqual({ status: 200, body: { runs: [], ignored: ['s3://landing/images/cat.png: no pipeline routes this bucket and prefix'] } });
      const removed = await send(server.url, standardWebhookDelivery(SECRET, s3Notification({ bucket: 'landing', encodedKey: 'fraud/x.csv', versionId: 'ign-2', eventName: 'ObjectRemoved:Delete' })));
      expect(removed).toEqual({ status: 200, body: { runs: [], ignored: ['s3://landing/fraud/x.csv: ObjectRemoved:Delete is not ObjectCreated:*'] } });
      // Asked by id (strongly consistent), not by listing: the list lags behind earlier tests' starts.
      for (const model of [modelA, modelB]) for (const version of ['ign-1', 'ign-2']) await expectNotStarted(`pipeline/${model}/${version}`);
    });

    it('rejects an S3 record without a bucket name (400 naming the field)', async () => {
      const event = s3Notification({ bucket: 'landing', encodedKey: 'fraud/y.csv', versionId: 'v' }) as { Records: Array<{ s3: { bucket: Record<string, unknown> } }> };
      delete event.Records[0]!.s3.bucket.name;
      const answer = await send(server.url, standardWebhookDelivery(SECRET, event));
      expect(answer).toEqual({ status: 400, body: { error: 'invalid S3 event: Records[0].s3.bucket.name: required' } });
    });

    it('ignores other GCS event types, and rejects a resource whose size is not a string (400 naming the field)', async () => {
      const deleted = await send(server.url, standardWebhookDelivery(SECRET, gcsPushNotification({ bucket: 'landing-eu', name: 'fraud/z.csv', generation: '17', eventType: 'OBJECT_DELETE' })));
      expect(deleted).toEqual({ status: 200, body: { runs: [], ignored: ['gs://landing-eu/fraud/z.csv: OBJECT_DELETE is not OBJECT_FINALIZE'] } });
      const badSize = await send(server.url, standardWebhookDelivery(SECRET, gcsPushNotification({ bucket: 'landing-eu', name: 'fraud/z.csv', generation: '18', size: 1024 })));
      expect(badSize).toEqual({ status: 400, body: { error: 'invalid GCS notification: message.data.size: expected the size as a string of digits' } });
      await expectNotStarted(`pipeline/${modelA}/18`);
      // A route for both stores on a pipeline that cannot read GCS: ignored with the reason, not a failed read retried for days.
      const unreadable = await send(server.url, standardWebhookDelivery(SECRET, gcsPushNotification({ bucket: 'landing-eu', name: 'fraud/z.csv', generation: '19' })));
      expect(unreadable).toEqual({ status: 200, body: { runs: [], ignored: [`gs://landing-eu/fraud/z.csv: ${modelA} has no storage.endpoint to read GCS objects from (GCS's XML API)`] } });
    });
  });
});
