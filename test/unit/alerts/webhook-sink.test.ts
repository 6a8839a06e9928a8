import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../../src/alerts/alert-log.js';
import { AlertRejectedError } from '../../../src/alerts/alert-sink.js';
import { WebhookSink } from '../../../src/alerts/webhook-sink.js';
import { startWebhookReceiver, type AlertReceiver } from '../../support/alert-receiver.js';
import { recordingDependencies } from './sink-test-dependencies.js';

const drift: AlertEvent = { dedupKey: 'drift/fraud-detector', severity: 'warning', kind: 'drift', model: 'fraud-detector', summary: 'data drift in 3 of 20 features', occurredAt: '2025-01-02T03:04:05.000Z' };
const SECRET = `whsec_${Buffer.from('alert-webhook-signing-key-0123456789').toString('base64')}`;

describe('generic webhook sink', () => {
  let signed: AlertReceiver;
  let plain: AlertReceiver;
  beforeAll(async () => {
    signed = await startWebhookReceiver({ secret: SECRET });
    plain = await startWebhookReceiver();
  });
  afterAll(async () => {
    await signed.close();
    await plain.close();
  });
  beforeEach(() => {
    signed.requests.length = 0;
    plain.requests.length = 0;
  });

  it('signs with Standard Webhooks headers the receiver verifies on its own, and keeps the id across attempts', async () => {
    signed.answerNext({ status: 500 });
    const env = { HOOK_URL: `${signed.url}/alerts`, HOOK_SECRET: SECRET };
    await new WebhookSink({ urlEnv: 'HOOK_URL', secretEnv: 'HOOK_SECRET' }, recordingDependencies(env)).send(drift);
    expect(signed.requests.map((r) => r.status)).toEqual([500, 204]);
    expect(signed.requests[1]!.problems).toEqual([]);
    expect(signed.requests[0]!.headers['webhook-id']).toBe(signed.requests[1]!.headers['webhook-id']);
    expect(signed.requests[1]!.json).toEqual({ type: 'alert.trigger', timestamp: drift.occurredAt, data: drift });
  });

  it('is refused by the receiver when signed with another secret (the check can fail)', async () => {
    const env = { HOOK_URL: signed.url, HOOK_SECRET: 'some-other-secret' };
    const deps = recordingDependencies(env);
    const error = await new WebhookSink({ urlEnv: 'HOOK_URL', secretEnv: 'HOOK_SECRET' }, deps).send(drift).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlertRejectedError);
    expect(signed.requests[0]!.problems).toEqual(['signature does not verify']);
    expect((error as Error).message).not.toContain('some-other-secret');
  });

  it('posts unsigned when no secret is configured', async () => {
    await new WebhookSink({ urlEnv: 'HOOK_URL' }, recordingDependencies({ HOOK_URL: plain.url })).send({ ...drift, action: 'resolve' });
    expect(plain.accepted()).toHaveLength(1);
    expect(plain.requests[0]!.headers['webhook-signature']).toBeUndefined();
    expect((plain.requests[0]!.json as { type: string }).type).toBe('alert.resolve');
  });
});
