/**
 * The one way the metrics adapters call HTTP: a GET with a timeout whose transport failures
 * (refused, reset, timed out) become MetricsUnavailableError naming the backend and the reason.
 */
import { MetricsUnavailableError } from './metrics-source.js';

export async function fetchOrUnavailable(backend: string, url: string, headers: Record<string, string>, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new MetricsUnavailableError(`${backend} did not answer ${url}: ${transportFailureReason(err, timeoutMs)}`);
  }
}

/** True when the backend answers 2xx on a health URL; never throws. */
export async function answersOk(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** Reads the body; a connection dropped mid-answer is the backend being unavailable too. */
export async function bodyOrUnavailable(backend: string, url: string, response: Response): Promise<string> {
  try {
    return await response.text();
  } catch (err) {
    throw new MetricsUnavailableError(`${backend} answer to ${url} broke off: ${transportFailureReason(err, 0)}`);
  }
}

function transportFailureReason(err: unknown, timeoutMs: number): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  // fetch wraps the socket error ("ECONNREFUSED ...") in `cause`.
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
}
