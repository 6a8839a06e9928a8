/**
 * Every alert the system raises, appended to `<dataDir>/alerts.jsonl` (one JSON object a line).
 * PagerDuty, Slack and webhook sinks (the alerts issue) read the same events.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';

export interface AlertEvent {
  /** Stable across retries and repeats of the same situation, e.g. `canary/fraud/3/rollback`. */
  dedupKey: string;
  severity: 'critical' | 'error' | 'warning' | 'info';
  summary: string;
  model: string;
  version?: number;
  /** `canary-rollback`, `canary-held`, `gate-failed`, … */
  kind: string;
  details?: Record<string, unknown>;
  /** `trigger` (default) opens or repeats the alert; `resolve` closes the one with the same dedupKey. */
  action?: 'trigger' | 'resolve';
  /** ISO 8601 time of the situation; default: when the sink sends it. */
  occurredAt?: string;
}

export async function recordAlert(dataDir: string, event: AlertEvent): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await appendFile(path.join(dataDir, 'alerts.jsonl'), `${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`);
}
