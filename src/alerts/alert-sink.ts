/**
 * The alerts port: one small interface per outside system (PagerDuty, Slack, a generic webhook).
 * Sinks only deliver; which alerts exist and when they fire is decided by the workflows.
 * Errors say whether retrying can help, and never carry a secret (a routing key, a webhook URL).
 */
import type { AlertEvent } from './alert-log.js';

export interface AlertSink {
  /** `pagerduty`, `slack`, `webhook`: names the sink in logs, errors and delivery records. */
  readonly name: string;
  send(event: AlertEvent): Promise<void>;
  /** Closes the alert opened with this dedup key; sinks without it get the resolve event through `send`. */
  resolve?(dedupKey: string): Promise<void>;
}

/** How one sink's deliveries are retried; the numbers come from `alerts.retry` in the definition. */
export interface DeliveryPolicy {
  maxAttempts: number;
  initialDelayMs: number;
  /** Longest wait between attempts and longest Retry-After honoured. */
  maxDelayMs: number;
  /** Per request. */
  timeoutMs: number;
}

/** What every sink needs besides its own settings; tests pass their own clock, randomness and env. */
export interface SinkDependencies {
  /** Secrets are read from here at send time, never earlier (default process.env). */
  env: NodeJS.ProcessEnv;
  policy: DeliveryPolicy;
  /** One line per retry or failure; never contains a secret. */
  log: (line: string) => void;
  sleep: (ms: number) => Promise<void>;
  /** In [0, 1): the jitter. */
  random: () => number;
  /** Epoch ms after which no new attempt starts (the activity's own timeout). */
  deadlineMs?: number;
}

export abstract class AlertSinkError extends Error {
  abstract readonly retryable: boolean;
  constructor(readonly sink: string, message: string) {
    super(`${sink}: ${message}`);
  }
}

/** The sink answered with an error that retrying will not fix (bad payload, unknown channel, revoked key). */
export class AlertRejectedError extends AlertSinkError {
  override readonly name = 'AlertRejectedError';
  readonly retryable = false;
  constructor(sink: string, message: string, readonly status: number, readonly code?: string) {
    super(sink, message);
  }
}

/** Every attempt failed with something transient (network, 5xx, 429), or time ran out; a later retry may succeed. */
export class AlertDeliveryError extends AlertSinkError {
  override readonly name = 'AlertDeliveryError';
  readonly retryable = true;
  constructor(sink: string, message: string, readonly attempts: number, readonly lastStatus?: number) {
    super(sink, message);
  }
}

/** The environment variable the definition names is not set in the process that sends. */
export class MissingAlertSecretError extends AlertSinkError {
  override readonly name = 'MissingAlertSecretError';
  readonly retryable = false;
  constructor(sink: string, readonly envVar: string, readonly field: string) {
    super(sink, `environment variable ${envVar} (${field}) is not set in the worker's environment`);
  }
}

/** Reads a secret at send time; the error names the variable and the definition field, never a value. */
export function readSecret(env: NodeJS.ProcessEnv, sink: string, envVar: string, field: string): string {
  const value = env[envVar];
  if (!value) throw new MissingAlertSecretError(sink, envVar, field);
  return value;
}
