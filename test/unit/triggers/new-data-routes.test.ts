import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { buildWebhookApp } from '../../../src/triggers/webhook-server.js';
import { signStandardWebhook } from '../../../src/triggers/standard-webhooks.js';

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
});
