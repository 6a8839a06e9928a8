/**
 * What the `sendAlert` activity does: record the alert in <data dir>/alerts.jsonl, then deliver
 * it to the sinks the definition's `alerts` section names. Progress ("log", "slack", ...) is
 * reported through `onDelivered` so a retried activity skips what is already done.
 */
import type { AlertsSection } from '../spec/schema.js';
import { recordAlert, type AlertEvent } from './alert-log.js';
import type { OpenAlertSinksOptions } from './open-alert-sinks.js';
import { openAlertSinks } from './open-alert-sinks.js';
import { deliverAlert } from './deliver-alert.js';

/** The activity's argument: the event plus the definition's `alerts` section (env var names only). */
export type AlertRequest = AlertEvent & { alerts?: AlertsSection };

/** Name under which the local record counts as a delivery. */
export const ALERT_LOG = 'log';

export interface DispatchAlertOptions extends OpenAlertSinksOptions {
  alreadyDelivered?: ReadonlySet<string>;
  onDelivered?: (sink: string) => void;
}

/** Throws AlertNotDeliveredError (with `retryable`) when a sink failed; the record is written first regardless. */
export async function dispatchAlert(dataDir: string, request: AlertRequest, options: DispatchAlertOptions = {}): Promise<{ delivered: string[] }> {
  const { alerts, ...event } = request;
  const delivered: string[] = [];
  if (!options.alreadyDelivered?.has(ALERT_LOG)) {
    await recordAlert(dataDir, event);
    delivered.push(ALERT_LOG);
    options.onDelivered?.(ALERT_LOG);
  }
  const sinks = openAlertSinks(alerts, options);
  const result = await deliverAlert(sinks, event, { alreadyDelivered: options.alreadyDelivered, onDelivered: options.onDelivered });
  return { delivered: [...delivered, ...result.delivered] };
}

/** Reads the `{ delivered: [...] }` an earlier attempt left in its heartbeat details. */
export function deliveredBefore(heartbeatDetails: unknown): Set<string> {
  const list = (heartbeatDetails as { delivered?: unknown } | undefined)?.delivered;
  return new Set(Array.isArray(list) ? list.filter((name): name is string => typeof name === 'string') : []);
}
