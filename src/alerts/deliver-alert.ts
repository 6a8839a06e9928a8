/**
 * Sends one alert to every sink, each independently: a sink that fails does not stop the others,
 * and sinks that already delivered it (recorded by the caller, e.g. in activity heartbeats) are
 * skipped when the caller tries again, so a retry does not post twice to Slack.
 */
import type { AlertEvent } from './alert-log.js';
import { AlertSinkError, type AlertSink } from './alert-sink.js';

export interface DeliverAlertOptions {
  /** Names of sinks that already have this alert. */
  alreadyDelivered?: ReadonlySet<string>;
  onDelivered?: (sink: string) => void;
}

export class AlertNotDeliveredError extends Error {
  override readonly name = 'AlertNotDeliveredError';
  /** True when at least one failure may pass on a later try (network, 5xx, 429, time ran out). */
  readonly retryable: boolean;

  constructor(readonly failures: Array<{ sink: string; error: Error }>, readonly delivered: string[]) {
    super(
      `alert not delivered to ${failures.map((f) => f.sink).join(', ')}: ${failures.map((f) => f.error.message).join('; ')}` +
        (delivered.length > 0 ? ` (delivered to ${delivered.join(', ')})` : ''),
    );
    this.retryable = failures.some((f) => !(f.error instanceof AlertSinkError) || f.error.retryable);
  }
}

export async function deliverAlert(sinks: readonly AlertSink[], event: AlertEvent, options: DeliverAlertOptions = {}): Promise<{ delivered: string[] }> {
  const pending = sinks.filter((sink) => !options.alreadyDelivered?.has(sink.name));
  const results = await Promise.allSettled(
    pending.map(async (sink) => {
      if (event.action === 'resolve' && sink.resolve) await sink.resolve(event.dedupKey);
      else await sink.send(event);
      options.onDelivered?.(sink.name);
      return sink.name;
    }),
  );
  const delivered: string[] = [];
  const failures: Array<{ sink: string; error: Error }> = [];
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') delivered.push(result.value);
    else failures.push({ sink: pending[i]!.name, error: result.reason instanceof Error ? result.reason : new Error(String(result.reason)) });
  });
  if (failures.length > 0) throw new AlertNotDeliveredError(failures, delivered);
  return { delivered };
}
