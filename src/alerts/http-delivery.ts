/**
 * The one way sinks POST: a bounded number of attempts with exponential backoff and jitter on
 * network errors, 408, 429 and 5xx (honouring Retry-After), then a typed error. Other answers
 * are classified by the sink (each service documents its own error codes).
 */
import { AlertDeliveryError, AlertRejectedError, type DeliveryPolicy, type SinkDependencies } from './alert-sink.js';

export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface ReceivedAnswer {
  status: number;
  body: string;
  headers: Headers;
}

/** What an answer means: delivered, worth another attempt, or a permanent rejection. */
export type AnswerVerdict = { kind: 'delivered' } | { kind: 'retry'; reason: string } | { kind: 'reject'; error: AlertRejectedError };

export interface DeliveryRequest {
  sink: string;
  /** Safe to log: the origin only (a Slack webhook's path is its secret). */
  target: string;
  /** Built again for every attempt (signatures carry the attempt's timestamp). */
  build: () => OutgoingRequest;
  classify: (answer: ReceivedAnswer) => AnswerVerdict;
  /** Values blanked out of answers before they reach an error or a log line (a receiver may echo them). */
  secrets: string[];
}

export async function deliverWithRetry(request: DeliveryRequest, deps: SinkDependencies): Promise<{ attempts: number }> {
  const { policy } = deps;
  let lastStatus: number | undefined;
  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptOnce(request, policy.timeoutMs);
    if (outcome.kind === 'delivered') return { attempts: attempt };
    if (outcome.kind === 'reject') throw outcome.error;
    lastStatus = outcome.status;
    const what = `${outcome.reason} from ${request.target}`;
    if (attempt >= policy.maxAttempts) {
      throw new AlertDeliveryError(request.sink, `not delivered after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${what}`, attempt, lastStatus);
    }
    if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > policy.maxDelayMs) {
      throw new AlertDeliveryError(request.sink, `${what} asked to retry after ${Math.ceil(outcome.retryAfterMs / 1000)} s, more than alerts.retry.maxDelay; giving up after ${attempt} attempt${attempt === 1 ? '' : 's'}`, attempt, lastStatus);
    }
    const waitMs = Math.max(backoffDelayMs(attempt, policy, deps.random), outcome.retryAfterMs ?? 0);
    if (deps.deadlineMs !== undefined && Date.now() + waitMs + policy.timeoutMs > deps.deadlineMs) {
      throw new AlertDeliveryError(request.sink, `${what}; no time left for attempt ${attempt + 1} before the deadline`, attempt, lastStatus);
    }
    deps.log(`${request.sink}: attempt ${attempt}/${policy.maxAttempts} failed (${what}); retrying in ${waitMs} ms`);
    await deps.sleep(waitMs);
  }
}

/** Exponential backoff with "equal jitter": between half and all of min(maxDelay, initial × 2^(attempt−1)). */
export function backoffDelayMs(failedAttempt: number, policy: Pick<DeliveryPolicy, 'initialDelayMs' | 'maxDelayMs'>, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (failedAttempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** 2xx delivered; 408, 429 and 5xx retried; any other answer is the sink's to classify (else rejected). */
export function defaultVerdict(sink: string, answer: ReceivedAnswer): AnswerVerdict {
  if (answer.status >= 200 && answer.status < 300) return { kind: 'delivered' };
  if (isTransient(answer.status)) return { kind: 'retry', reason: `HTTP ${answer.status}` };
  return { kind: 'reject', error: new AlertRejectedError(sink, `rejected with HTTP ${answer.status}: ${excerpt(answer.body)}`, answer.status) };
}

export function isTransient(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** A short, single-line piece of an answer's body for error messages. */
export function excerpt(body: string, max = 200): string {
  const line = body.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line || '(empty body)';
}

type AttemptOutcome =
  | { kind: 'delivered' }
  | { kind: 'reject'; error: AlertRejectedError }
  | { kind: 'retry'; reason: string; status?: number; retryAfterMs?: number };

async function attemptOnce(request: DeliveryRequest, timeoutMs: number): Promise<AttemptOutcome> {
  const outgoing = request.build();
  let answer: ReceivedAnswer;
  try {
    const response = await fetch(outgoing.url, { method: 'POST', headers: outgoing.headers, body: outgoing.body, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
    answer = { status: response.status, headers: response.headers, body: redact(await response.text(), request.secrets) };
  } catch (err) {
    // Never the URL: fetch's messages name only the host and the socket error.
    return { kind: 'retry', reason: transportFailure(err, timeoutMs) };
  }
  const verdict = request.classify(answer);
  if (verdict.kind !== 'retry') return verdict;
  return { kind: 'retry', reason: verdict.reason, status: answer.status, retryAfterMs: parseRetryAfter(answer.headers.get('retry-after')) };
}

function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, secret) => (secret ? out.split(secret).join('[redacted]') : out), text);
}

function transportFailure(err: unknown, timeoutMs: number): string {
  if (!(err instanceof Error)) return 'network error';
  if (err.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const cause = (err as { cause?: { code?: unknown } }).cause;
  return `network error${typeof cause?.code === 'string' ? ` (${cause.code})` : ''}`;
}
