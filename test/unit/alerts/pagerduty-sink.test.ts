import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../../src/alerts/alert-log.js';
import { AlertDeliveryError, AlertRejectedError, MissingAlertSecretError } from '../../../src/alerts/alert-sink.js';
import { PAGERDUTY_URL_ENV, PagerDutySink } from '../../../src/alerts/pagerduty-sink.js';
import { PagerDutyEvent, startPagerDutyReceiver, type AlertReceiver } from '../../support/alert-receiver.js';
import { recordingDependencies, ROUTING_KEY } from './sink-test-dependencies.js';

const rollback: AlertEvent = {
  dedupKey: 'canary/fraud-detector/3/rollback',
  severity: 'critical',
  kind: 'canary-rollback',
  model: 'fraud-detector',
  version: 3,
  summary: 'fraud-detector v3 rolled back: error rate 0.05 > 0.01 for the whole window',
  details: { championVersion: 2 },
};

describe('PagerDuty sink (Events API v2, against a local receiver that checks the documented schema)', () => {
  let receiver: AlertReceiver;
  beforeAll(async () => {
    receiver = await startPagerDutyReceiver();
  });
  afterAll(() => receiver.close());
  beforeEach(() => {
    receiver.requests.length = 0;
  });

  it('triggers and then resolves one incident under a stable dedup_key', async () => {
    const deps = recordingDependencies({ PD_ROUTING_KEY: ROUTING_KEY });
    const sink = new PagerDutySink({ routingKeyEnv: 'PD_ROUTING_KEY', url: receiver.url }, deps);
    await sink.send(rollback);
    await sink.send(rollback); // a retry of the same situation: same key, PagerDuty folds it into the open incident
    await sink.resolve(rollback.dedupKey);

    expect(receiver.requests.map((r) => r.problems)).toEqual([[], [], []]);
    expect(receiver.accepted().map((r) => r.status)).toEqual([202, 202, 202]);
    const events = receiver.requests.map((r) => PagerDutyEvent.parse(r.json));
    expect(events.map((e) => [e.event_action, e.dedup_key])).toEqual([
      ['trigger', rollback.dedupKey],
      ['trigger', rollback.dedupKey],
      ['resolve', rollback.dedupKey],
    ]);
    expect(events[0]).toMatchObject({
      routing_key: ROUTING_KEY,
      payload: { summary: rollback.summary, source: 'fraud-detector v3', severity: 'critical', component: 'fraud-detector', class: 'canary-rollback', custom_details: { model: 'fraud-detector', version: 3, championVersion: 2 } },
    });
    expect(Date.parse(events[0]!.payload!.timestamp!)).toBeGreaterThan(Date.now() - 60_000);
    expect(events[2]!.payload).toBeUndefined();
  });

  it('sends a resolve event through send() when the event says so', async () => {
    const sink = new PagerDutySink({ routingKeyEnv: 'PD_ROUTING_KEY', url: receiver.url }, recordingDependencies({ PD_ROUTING_KEY: ROUTING_KEY }));
    await sink.send({ ...rollback, action: 'resolve' });
    expect(PagerDutyEvent.parse(receiver.requests[0]!.json)).toMatchObject({ event_action: 'resolve', dedup_key: rollback.dedupKey });
  });

  it('takes the events host from MLOPS_PAGERDUTY_EVENTS_URL when the definition has no url', async () => {
    const sink = new PagerDutySink({ routingKeyEnv: 'PD_ROUTING_KEY' }, recordingDependencies({ PD_ROUTING_KEY: ROUTING_KEY, [PAGERDUTY_URL_ENV]: `${receiver.url}/` }));
    await sink.send(rollback);
    expect(receiver.accepted()).toHaveLength(1);
  });

  it('truncates a summary to the documented 1024 characters', async () => {
    const sink = new PagerDutySink({ routingKeyEnv: 'PD_ROUTING_KEY', url: receiver.url }, recordingDependencies({ PD_ROUTING_KEY: ROUTING_KEY }));
    await sink.send({ ...rollback, summary: 'x'.repeat(5000) });
    expect(receiver.accepted()).toHaveLength(1);
    expect(PagerDutyEvent.parse(receiver.requests[0]!.json).payload!.summary).toHaveLength(1024);
  });

  it('retries 500 and 429 with exponential backoff, honouring Retry-After, then delivers', async () => {
    receiver.answerNext({ status: 500, body: '{"status":"error"}' }, { status: 429, headers: { 'retry-after': '1' } }, { status: 503 });
    const deps = recordingDependencies({ PD_ROUTING_KEY: ROUTING_KEY }, { initialDelayMs: 100, maxDelayMs: 2_000 });
    await new PagerDutySink({ routingKeyEnv: 'PD_ROUTING_KEY', url: receiver.url }, deps).send(rollback);
    expect(receiver.requests.map((r) => r.status)).toEqual([500, 429, 503, 202]);
    // random() = 0.5 → 75% of min(maxDelay, 100 × 2^(n−1)); Retry-After 1 s wins over 150 ms.
    expect(deps.waits).toEqual([75, 1000, 300]);
    expect(deps.lines).toHaveLength(3);
    expect(deps.lines[1]).toMatch(/attempt 2\/4 failed \(HTTP 429 from http:\/\/127\.0\.0\.1:\d+\); retrying in 1000 ms/);
  });

  it('gives up after maxAttempts with a retryable AlertDeliveryError', async () => {
    receiver.answerNext({ status: 502 }, { status: 502 }, { status: 502 });
    const deps = recordingDependencies({ PD_ROUTING_KEY: ROUTING_KEY }, { maxAttempts: 3 });
    const error = await new PagerDutySink({ routingKeyEnv: 'PD_ROUTING_KEY', url: receiver.url }, deps).send(rollback).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlertDeliveryError);
    expect(error).toMatchObject({ retryable: true, attempts: 3, lastStatus: 502, message: expect.stringMatching(/^pagerduty: not delivered after 3 attempts: HTTP 502/) });
    expect(receiver.requests).toHaveLength(3);
    expect(deps.waits).toHaveLength(2);
  });

  it('stops when Retry-After asks for longer than maxDelay', async () => {
    receiver.answerNext({ status: 429, headers: { 'retry-after': '120' } });
    const deps = recordingDependencies({ PD_ROUTING_KEY: ROUTING_KEY });
    const error = await new PagerDutySink({ routingKeyEnv: 'PD_ROUTING_KEY', url: receiver.url }, deps).send(rollback).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlertDeliveryError);
    expect((error as Error).message).toMatch(/asked to retry after 120 s, more than alerts.retry.maxDelay/);
    expect(deps.waits).toEqual([]);
  });

  it('does not retry a 400 invalid event, and the error never shows the routing key even when echoed', async () => {
    receiver.answerNext({ status: 400, body: JSON.stringify({ status: 'invalid event', errors: [`routing_key ${ROUTING_KEY} is unknown`] }) });
    const deps = recordingDependencies({ PD_ROUTING_KEY: ROUTING_KEY });
    const error = await new PagerDutySink({ routingKeyEnv: 'PD_ROUTING_KEY', url: receiver.url }, deps).send(rollback).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlertRejectedError);
    expect(error).toMatchObject({ retryable: false, status: 400, code: 'invalid_event' });
    expect((error as Error).message).toContain('[redacted]');
    expect((error as Error).message).not.toContain(ROUTING_KEY);
    expect(receiver.requests).toHaveLength(1);
  });

  it('a routing key of the wrong shape is rejected by the receiver\'s schema check (the check can fail)', async () => {
    const sink = new PagerDutySink({ routingKeyEnv: 'PD_ROUTING_KEY', url: receiver.url }, recordingDependencies({ PD_ROUTING_KEY: 'too-short' }));
    await expect(sink.send(rollback)).rejects.toBeInstanceOf(AlertRejectedError);
    expect(receiver.requests[0]!.problems).toEqual(['routing_key: Too small: expected string to have exactly 32 characters']);
  });

  it('reads the routing key at send time and names the variable and field when it is missing', async () => {
    const env: NodeJS.ProcessEnv = {};
    const sink = new PagerDutySink({ routingKeyEnv: 'PD_ROUTING_KEY', url: receiver.url }, recordingDependencies(env));
    const error = await sink.send(rollback).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingAlertSecretError);
    expect((error as Error).message).toBe("pagerduty: environment variable PD_ROUTING_KEY (alerts.pagerduty.routingKeyEnv) is not set in the worker's environment");
    env.PD_ROUTING_KEY = ROUTING_KEY;
    await sink.send(rollback);
    expect(receiver.accepted()).toHaveLength(1);
  });
});
