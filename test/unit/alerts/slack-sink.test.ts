import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../../src/alerts/alert-log.js';
import { AlertDeliveryError, AlertRejectedError } from '../../../src/alerts/alert-sink.js';
import { SlackSink } from '../../../src/alerts/slack-sink.js';
import { SlackMessage, startSlackReceiver, type AlertReceiver } from '../../support/alert-receiver.js';
import { recordingDependencies } from './sink-test-dependencies.js';

const held: AlertEvent = {
  dedupKey: 'canary/fraud-detector/4/held',
  severity: 'warning',
  kind: 'canary-held',
  model: 'fraud-detector',
  version: 4,
  summary: 'fraud-detector v4: canary held at 25%: only 12 requests < minSamples 50. Approve or abort it.',
  details: { weight: 25, reason: 'insufficient <evidence> & time' },
};
/** The path of a Slack webhook URL is its secret. */
const SECRET_PATH = '/services/T0SECRET/B0SECRET/XXXXsecretTOKENxxxx';

describe('Slack sink (incoming webhook, against a local receiver that checks Block Kit)', () => {
  let receiver: AlertReceiver;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    receiver = await startSlackReceiver();
  });
  afterAll(() => receiver.close());
  beforeEach(() => {
    receiver.requests.length = 0;
    env = { SLACK_WEBHOOK_URL: `${receiver.url}${SECRET_PATH}` };
  });

  it('posts {text, blocks} that pass the Block Kit check and get 200 ok', async () => {
    await new SlackSink({ webhookUrlEnv: 'SLACK_WEBHOOK_URL' }, recordingDependencies(env)).send(held);
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.problems).toEqual([]);
    expect(receiver.requests[0]!.path).toBe(SECRET_PATH);
    const message = SlackMessage.parse(receiver.requests[0]!.json);
    expect(message.text).toBe(`:warning: WARNING: fraud-detector v4: ${held.summary}`);
    expect(JSON.stringify(message.blocks)).toContain('insufficient &lt;evidence&gt; &amp; time');
    expect(JSON.stringify(message.blocks)).toContain('canary/fraud-detector/4/held');
  });

  it('marks a resolve event as resolved', async () => {
    await new SlackSink({ webhookUrlEnv: 'SLACK_WEBHOOK_URL' }, recordingDependencies(env)).send({ ...held, action: 'resolve' });
    expect(SlackMessage.parse(receiver.requests[0]!.json).text).toMatch(/^:white_check_mark: Resolved: fraud-detector v4/);
  });

  it.each([
    [400, 'invalid_payload'],
    [403, 'action_prohibited'],
    [404, 'channel_not_found'],
    [410, 'channel_is_archived'],
  ])('maps %i %s to a non-retryable error, sent once', async (status, code) => {
    receiver.answerNext({ status, body: code });
    const deps = recordingDependencies(env);
    const error = await new SlackSink({ webhookUrlEnv: 'SLACK_WEBHOOK_URL' }, deps).send(held).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlertRejectedError);
    expect(error).toMatchObject({ retryable: false, status, code, message: `slack: rejected with HTTP ${status} ${code}` });
    expect(receiver.requests).toHaveLength(1);
    expect(deps.waits).toEqual([]);
  });

  it('retries 500 and 429 then delivers, and never logs the webhook path', async () => {
    receiver.answerNext({ status: 500, body: 'rollup_error' }, { status: 429, headers: { 'retry-after': '2' }, body: 'rate limited' });
    const deps = recordingDependencies(env);
    await new SlackSink({ webhookUrlEnv: 'SLACK_WEBHOOK_URL' }, deps).send(held);
    expect(receiver.requests.map((r) => r.status)).toEqual([500, 429, 200]);
    expect(deps.waits).toEqual([75, 2000]);
    expect(deps.lines.join('\n')).not.toContain('SECRET');
    expect(deps.lines[0]).toContain(receiver.url);
  });

  it('keeps the webhook URL out of the error after the last attempt, even when the answer echoes it', async () => {
    receiver.answerNext(...Array.from({ length: 2 }, () => ({ status: 503, body: `upstream ${SECRET_PATH} unavailable` })));
    const deps = recordingDependencies(env, { maxAttempts: 2 });
    const error = await new SlackSink({ webhookUrlEnv: 'SLACK_WEBHOOK_URL' }, deps).send(held).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlertDeliveryError);
    expect((error as Error).message).not.toContain('SECRET');
    expect(deps.lines.join('\n')).not.toContain('SECRET');
  });

  it('a payload without blocks fails the receiver\'s check (the check can fail)', async () => {
    const response = await fetch(`${receiver.url}${SECRET_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hi' }) });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('invalid_payload');
    expect(receiver.requests[0]!.problems[0]).toMatch(/^blocks:/);
  });
});
