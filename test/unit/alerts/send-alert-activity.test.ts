import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDeployActivities } from '../../../activities/deploy-activities.js';
import type { AlertRequest } from '../../../src/alerts/dispatch-alert.js';
import { AlertsSection } from '../../../src/spec/schema.js';
import { startPagerDutyReceiver, startSlackReceiver, type AlertReceiver } from '../../support/alert-receiver.js';
import { ROUTING_KEY } from './sink-test-dependencies.js';

const SLACK_PATH = '/services/T0/B0/activitySECRET';

describe('the sendAlert activity', () => {
  let pagerduty: AlertReceiver;
  let slack: AlertReceiver;
  let dataDir: string;
  let alerts: AlertsSection;
  beforeAll(async () => {
    [pagerduty, slack] = await Promise.all([startPagerDutyReceiver(), startSlackReceiver()]);
    // The worker's environment holds the secrets; the definition (and so history) only their names.
    process.env.TEST_PD_KEY = ROUTING_KEY;
    process.env.TEST_SLACK_URL = `${slack.url}${SLACK_PATH}`;
    alerts = AlertsSection.parse({
      pagerduty: { routingKeyEnv: 'TEST_PD_KEY', url: pagerduty.url },
      slack: { webhookUrlEnv: 'TEST_SLACK_URL' },
      retry: { maxAttempts: 2, initialDelay: '10ms', maxDelay: '50ms', timeout: '2s' },
    });
  });
  afterAll(async () => {
    delete process.env.TEST_PD_KEY;
    delete process.env.TEST_SLACK_URL;
    await Promise.all([pagerduty.close(), slack.close()]);
  });
  beforeEach(async () => {
    pagerduty.requests.length = 0;
    slack.requests.length = 0;
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-alerts-'));
  });

  const request = (): AlertRequest => ({ dedupKey: 'canary/fraud/3/rollback', severity: 'critical', kind: 'canary-rollback', model: 'fraud', version: 3, summary: 'fraud v3 rolled back', alerts });
  const run = (env: MockActivityEnvironment, input: AlertRequest) => env.run(createDeployActivities({ dataDir, codeVersion: 'test' }).sendAlert, input);
  const recorded = async () => (await readFile(path.join(dataDir, 'alerts.jsonl'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

  it('records the alert, delivers it to every sink, and heartbeats what it delivered', async () => {
    const env = new MockActivityEnvironment({ startToCloseTimeoutMs: 30_000 });
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => heartbeats.push(details));
    await run(env, request());
    expect(pagerduty.accepted()).toHaveLength(1);
    expect(slack.accepted()).toHaveLength(1);
    const lines = await recorded();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ dedupKey: 'canary/fraud/3/rollback', kind: 'canary-rollback' });
    expect(lines[0]).not.toHaveProperty('alerts');
    expect(heartbeats.at(-1)).toEqual({ delivered: expect.arrayContaining(['log', 'pagerduty', 'slack']) });
  });

  it('on a retry, skips what an earlier attempt delivered (no second Slack post, no second record)', async () => {
    await run(new MockActivityEnvironment({ heartbeatDetails: { delivered: ['log', 'slack'] } }), request());
    expect(pagerduty.accepted()).toHaveLength(1);
    expect(slack.requests).toHaveLength(0);
    expect(await recorded()).toHaveLength(0);
  });

  it('fails without retries when a sink rejects the alert; the others still get it', async () => {
    slack.answerNext({ status: 404, body: 'channel_not_found' });
    const error = await run(new MockActivityEnvironment(), request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ nonRetryable: true, type: 'AlertNotDeliveredError' });
    expect((error as Error).message).toBe('alert not delivered to slack: slack: rejected with HTTP 404 channel_not_found (delivered to pagerduty)');
    expect(pagerduty.accepted()).toHaveLength(1);
    expect(await recorded()).toHaveLength(1);
  });

  it('fails retryably when a sink stays unavailable, and the failure message holds no secret', async () => {
    pagerduty.answerNext({ status: 503 }, { status: 503 });
    const error = await run(new MockActivityEnvironment({ startToCloseTimeoutMs: 30_000 }), request()).catch((e: unknown) => e);
    expect(error).toMatchObject({ nonRetryable: false, type: 'AlertNotDeliveredError' });
    expect((error as Error).message).toMatch(/^alert not delivered to pagerduty: pagerduty: not delivered after 2 attempts: HTTP 503/);
    expect((error as Error).message).not.toMatch(/activitySECRET|R0UT1NG/);
  });

  it('stops retrying inside the activity when its start-to-close timeout would pass (Temporal retries it)', async () => {
    pagerduty.answerNext({ status: 503 });
    const error = await run(new MockActivityEnvironment({ startToCloseTimeoutMs: 2_500 }), request()).catch((e: unknown) => e);
    expect(error).toMatchObject({ nonRetryable: false, message: expect.stringMatching(/HTTP 503 from http:\/\/127\.0\.0\.1:\d+; no time left for attempt 2 before the deadline/) });
    expect(pagerduty.requests).toHaveLength(1);
  });

  it('names the missing variable when the worker lacks a secret (non-retryable)', async () => {
    const error = await run(new MockActivityEnvironment(), { ...request(), alerts: AlertsSection.parse({ pagerduty: { routingKeyEnv: 'TEST_UNSET_KEY', url: pagerduty.url } }) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ nonRetryable: true, message: expect.stringContaining("environment variable TEST_UNSET_KEY (alerts.pagerduty.routingKeyEnv) is not set in the worker's environment") });
  });

  it('only records the alert when the definition has no alerts section', async () => {
    const { alerts: _none, ...event } = request();
    await run(new MockActivityEnvironment(), event);
    expect(await recorded()).toHaveLength(1);
    expect(pagerduty.requests.length + slack.requests.length).toBe(0);
  });
});
