import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { buildWebhookApp } from '../../../src/triggers/webhook-server.js';
import { signStandardWebhook } from '../../../src/triggers/standard-webhooks.js';
import { s3Notification } from '../../support/webhook-sender.js';

const SECRET = `whsec_${Buffer.from('new-data-routes-unit-test-secret').toString('base64')}`;

async function appStarting(started: string[]) {
  const client = { workflow: { start: async (_type: string, options: { workflowId: string }) => void started.push(options.workflowId) } } as unknown as Client;
  const settings = { host: '127.0.0.1', port: 0, bodyLimitBytes: 4096, toleranceSeconds: 300, maxReplayIds: 100, secrets: { standardWebhooks: SECRET }, pipelines: [{ file: '/p/fraud.yaml', model: 'fraud', dataSource: '/p/fraud.csv', objects: [] }] };
  return buildWebhookApp({ settings, client, taskQueue: 'unit', log: () => undefined });
}

describe('POST /hooks/new-data', () => {
  // Found by test/unit/triggers/webhook-fuzz.test.ts ("invalid UTF-8 in a value"): the bytes were
  // decoded leniently to U+FFFD and the run started under a source its sender never wrote.
  it('refuses a signed body that is not UTF-8 (400), and starts nothing', async () => {
    const started: string[] = [];
    const app = await appStarting(started);
    const body = Buffer.concat([Buffer.from('{"model":"fraud","dataVersion":"v1","source":"s3://landing/caf'), Buffer.from([0xe9]), Buffer.from('.csv"}')]);
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = { 'content-type': 'application/json', 'webhook-id': 'msg_latin1', 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandardWebhook(SECRET, 'msg_latin1', timestamp, body) };
    const response = await app.inject({ method: 'POST', url: '/hooks/new-data', headers, payload: body }).finally(() => app.close());
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'malformed JSON: the body is not UTF-8' });
    expect(started).toEqual([]);
  });

  it('versions an S3 object routed to several pipelines by its bytes, read once, and starts each run on that object and version', async () => {
    const starts: Array<{ workflowId: string; args: unknown[] }> = [];
    const client = { workflow: { start: async (_type: string, options: { workflowId: string; args: unknown[] }) => void starts.push(options) } } as unknown as Client;
    const route = [{ store: 's3' as const, bucket: 'landing', prefix: 'fraud/' }];
    const settings = {
      host: '127.0.0.1', port: 0, bodyLimitBytes: 4096, toleranceSeconds: 300, maxReplayIds: 100, secrets: { standardWebhooks: SECRET },
      pipelines: [{ file: '/p/fraud.yaml', model: 'fraud', dataSource: 's3://landing/fraud/', objects: route }, { file: '/p/fraud-eu.yaml', model: 'fraud-eu', dataSource: 's3://landing/fraud/', objects: route }],
    };
    const reads: string[] = [];
    const hashObject = async (_pipeline: unknown, object: { key: string; versionId?: string }) => {
      reads.push(`${object.key}@${object.versionId}`);
      return 'ab'.repeat(32);
    };
    const app = await buildWebhookApp({ settings, client, taskQueue: 'unit', log: () => undefined, dataDir: '/nonexistent', hashObject });
    const body = JSON.stringify(s3Notification({ bucket: 'landing', encodedKey: 'fraud/day+1.csv', versionId: 'v7' }));
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = { 'content-type': 'application/json', 'webhook-id': 'msg_fanout', 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandardWebhook(SECRET, 'msg_fanout', timestamp, Buffer.from(body)) };
    const response = await app.inject({ method: 'POST', url: '/hooks/new-data', headers, payload: body }).finally(() => app.close());
    expect(response.statusCode).toBe(202);
    expect(reads).toEqual(['fraud/day 1.csv@v7']);
    const version = 'ab'.repeat(8);
    expect(response.json().runs).toEqual([
      { model: 'fraud', dataVersion: version, workflowId: `pipeline/fraud/${version}`, duplicate: false },
      { model: 'fraud-eu', dataVersion: version, workflowId: `pipeline/fraud-eu/${version}`, duplicate: false },
    ]);
    expect(starts.map((start) => start.args[0])).toEqual([
      { pipelineFile: '/p/fraud.yaml', trigger: 'webhook', expectedDataVersion: 'ab'.repeat(32), dataObject: { bucket: 'landing', key: 'fraud/day 1.csv', versionId: 'v7' } },
      { pipelineFile: '/p/fraud-eu.yaml', trigger: 'webhook', expectedDataVersion: 'ab'.repeat(32), dataObject: { bucket: 'landing', key: 'fraud/day 1.csv', versionId: 'v7' } },
    ]);
  });
});
