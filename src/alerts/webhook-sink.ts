/**
 * Generic webhook: POST `{ type, timestamp, data }` as JSON (the Standard Webhooks payload shape),
 * signed with `webhook-id`, `webhook-timestamp` and `webhook-signature` when a secret is set.
 * The id is the same for every attempt of one message, so a receiver can drop repeats.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { AlertEvent } from './alert-log.js';
import { AlertRejectedError, readSecret, type AlertSink, type SinkDependencies } from './alert-sink.js';
import { defaultVerdict, deliverWithRetry } from './http-delivery.js';
import { signStandardWebhook } from '../triggers/standard-webhooks.js';

export interface WebhookSinkSettings {
  urlEnv: string;
  secretEnv?: string;
}

export interface WebhookAlertMessage {
  type: 'alert.trigger' | 'alert.resolve';
  timestamp: string;
  data: AlertEvent;
}

export class WebhookSink implements AlertSink {
  readonly name = 'webhook';

  constructor(private readonly settings: WebhookSinkSettings, private readonly deps: SinkDependencies) {}

  async send(event: AlertEvent): Promise<void> {
    const url = readSecret(this.deps.env, this.name, this.settings.urlEnv, 'alerts.webhook.urlEnv');
    const secret = this.settings.secretEnv ? readSecret(this.deps.env, this.name, this.settings.secretEnv, 'alerts.webhook.secretEnv') : undefined;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new AlertRejectedError(this.name, `environment variable ${this.settings.urlEnv} (alerts.webhook.urlEnv) does not hold a URL`, 0, 'invalid_url');
    }
    const message: WebhookAlertMessage = {
      type: event.action === 'resolve' ? 'alert.resolve' : 'alert.trigger',
      timestamp: event.occurredAt ?? new Date().toISOString(),
      data: event,
    };
    const body = JSON.stringify(message);
    const id = messageId(event);
    await deliverWithRetry(
      {
        sink: this.name,
        target: parsed.origin,
        build: () => {
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (secret !== undefined) {
            const timestamp = Math.floor(Date.now() / 1000);
            Object.assign(headers, { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandardWebhook(secret, id, timestamp, body) });
          }
          return { url, headers, body };
        },
        classify: (answer) => defaultVerdict(this.name, answer),
        secrets: [url, ...(secret ? [secret] : [])],
      },
      this.deps,
    );
  }
}

/** Stable for one situation at one time (so activity retries reuse it); random when the event has no time. */
function messageId(event: AlertEvent): string {
  if (event.occurredAt === undefined) return `msg_${randomUUID()}`;
  const digest = createHash('sha256').update(`${event.dedupKey}\n${event.action ?? 'trigger'}\n${event.occurredAt}`).digest('base64url');
  return `msg_${digest.slice(0, 27)}`;
}
