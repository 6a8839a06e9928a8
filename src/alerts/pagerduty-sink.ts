/**
 * PagerDuty Events API v2: POST <events host>/v2/enqueue, answered 202. A trigger and its resolve
 * share `dedup_key` = event.dedupKey, so repeats of one situation stay one incident.
 * https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
 */
import type { AlertEvent } from './alert-log.js';
import { AlertRejectedError, readSecret, type AlertSink, type SinkDependencies } from './alert-sink.js';
import { deliverWithRetry, excerpt, isTransient, type AnswerVerdict, type ReceivedAnswer } from './http-delivery.js';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com';
/** Overrides the events host when the definition has no `alerts.pagerduty.url` (local receivers, proxies, EU region). */
export const PAGERDUTY_URL_ENV = 'MLOPS_PAGERDUTY_EVENTS_URL';
/** PagerDuty's documented limits. */
const MAX_SUMMARY = 1024;
const MAX_DEDUP_KEY = 255;

export interface PagerDutySinkSettings {
  routingKeyEnv: string;
  url?: string;
}

export class PagerDutySink implements AlertSink {
  readonly name = 'pagerduty';

  constructor(private readonly settings: PagerDutySinkSettings, private readonly deps: SinkDependencies) {}

  async send(event: AlertEvent): Promise<void> {
    if (event.action === 'resolve') return this.resolve(event.dedupKey);
    await this.enqueue({ event_action: 'trigger', dedup_key: dedupKey(event.dedupKey), payload: pagerDutyPayload(event) });
  }

  async resolve(key: string): Promise<void> {
    await this.enqueue({ event_action: 'resolve', dedup_key: dedupKey(key) });
  }

  private async enqueue(message: Record<string, unknown>): Promise<void> {
    const routingKey = readSecret(this.deps.env, this.name, this.settings.routingKeyEnv, 'alerts.pagerduty.routingKeyEnv');
    const base = (this.settings.url ?? this.deps.env[PAGERDUTY_URL_ENV] ?? PAGERDUTY_EVENTS_URL).replace(/\/+$/, '');
    const body = JSON.stringify({ routing_key: routingKey, ...message, client: 'mlops-control-plane' });
    await deliverWithRetry(
      {
        sink: this.name,
        target: new URL(base).origin,
        build: () => ({ url: `${base}/v2/enqueue`, headers: { 'content-type': 'application/json' }, body }),
        classify: (answer) => classifyPagerDutyAnswer(answer),
        secrets: [routingKey],
      },
      this.deps,
    );
  }
}

/** The `payload` object of a trigger event, from our AlertEvent. */
export function pagerDutyPayload(event: AlertEvent): Record<string, unknown> {
  return {
    summary: event.summary.length > MAX_SUMMARY ? `${event.summary.slice(0, MAX_SUMMARY - 1)}…` : event.summary,
    source: event.version !== undefined ? `${event.model} v${event.version}` : event.model,
    severity: event.severity,
    timestamp: event.occurredAt ?? new Date().toISOString(),
    component: event.model,
    group: 'mlops-control-plane',
    class: event.kind,
    custom_details: { model: event.model, ...(event.version !== undefined ? { version: event.version } : {}), kind: event.kind, ...event.details },
  };
}

/** 202 accepted; 400 is an invalid event (retrying sends the same); 429 and 5xx are retried. */
function classifyPagerDutyAnswer(answer: ReceivedAnswer): AnswerVerdict {
  if (answer.status === 202 || answer.status === 200) return { kind: 'delivered' };
  if (isTransient(answer.status)) return { kind: 'retry', reason: `HTTP ${answer.status}` };
  const reason = answer.status === 400 ? 'invalid event' : `HTTP ${answer.status}`;
  return { kind: 'reject', error: new AlertRejectedError('pagerduty', `${reason}: ${excerpt(answer.body)}`, answer.status, answer.status === 400 ? 'invalid_event' : undefined) };
}

function dedupKey(key: string): string {
  return key.length > MAX_DEDUP_KEY ? key.slice(0, MAX_DEDUP_KEY) : key;
}
