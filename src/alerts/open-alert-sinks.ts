/**
 * The one place that builds alert sinks from the definition's `alerts` section. Only env var
 * NAMES travel in the definition (and so in workflow history); each sink reads the values from
 * the environment of the process that sends, at send time.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { durationToMs } from '../spec/duration.js';
import { AlertsSection } from '../spec/schema.js';
import type { AlertSink, DeliveryPolicy, SinkDependencies } from './alert-sink.js';
import { PagerDutySink } from './pagerduty-sink.js';
import { SlackSink } from './slack-sink.js';
import { WebhookSink } from './webhook-sink.js';

export type OpenAlertSinksOptions = Partial<SinkDependencies>;

/** No section, or an empty one, gives no sinks: alerts are then only recorded in alerts.jsonl. */
export function openAlertSinks(section: AlertsSection | undefined, options: OpenAlertSinksOptions = {}): AlertSink[] {
  if (!section) return [];
  // Parsing again fills the defaults when a caller passes a hand-written section.
  const alerts = AlertsSection.parse(section);
  const deps: SinkDependencies = {
    env: options.env ?? process.env,
    policy: options.policy ?? deliveryPolicy(alerts.retry),
    log: options.log ?? ((line) => console.warn(`alerts: ${line}`)),
    sleep: options.sleep ?? ((ms) => sleep(ms)),
    random: options.random ?? Math.random,
    deadlineMs: options.deadlineMs,
  };
  const sinks: AlertSink[] = [];
  if (alerts.pagerduty) sinks.push(new PagerDutySink(alerts.pagerduty, deps));
  if (alerts.slack) sinks.push(new SlackSink(alerts.slack, deps));
  if (alerts.webhook) sinks.push(new WebhookSink(alerts.webhook, deps));
  return sinks;
}

export function deliveryPolicy(retry: AlertsSection['retry']): DeliveryPolicy {
  return {
    maxAttempts: retry.maxAttempts,
    initialDelayMs: durationToMs(retry.initialDelay),
    maxDelayMs: durationToMs(retry.maxDelay),
    timeoutMs: durationToMs(retry.timeout),
  };
}
