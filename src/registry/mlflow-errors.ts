/**
 * MLflow's answers as typed errors. MLflow reports failures as `{ error_code, message }` with
 * an HTTP status; what matters to a caller is whether trying again can help:
 * - MlflowUnavailableError (retryable): unreachable, timed out, 5xx, 429, TEMPORARILY_UNAVAILABLE.
 * - MlflowRequestError (not retryable) and its kinds: the request itself is wrong
 *   (INVALID_PARAMETER_VALUE, BAD_REQUEST, a 404 page that is not MLflow's, ...), the thing
 *   is missing (MlflowNotFoundError: MLflow's RESOURCE_DOES_NOT_EXIST only),
 *   already there (MlflowAlreadyExistsError), or we may not (MlflowAuthError).
 * - MlflowConfigurationError (not retryable): the registry section or the worker's environment
 *   is wrong (a missing token variable, headers that are not JSON, an artifact root we cannot reach).
 */

export abstract class MlflowError extends Error {
  override readonly name: string = 'MlflowError';
  /** Whether the same call may succeed later. */
  abstract readonly retryable: boolean;

  constructor(
    message: string,
    /** MLflow's `error_code`, or ours for failures without an answer (`UNREACHABLE`, `TIMEOUT`, `HTTP_<status>`). */
    readonly code: string,
    /** The HTTP status, when the server answered. */
    readonly httpStatus: number | undefined,
    /** e.g. `POST registered-models/create`. */
    readonly endpoint: string,
  ) {
    super(message);
  }
}

/** The server could not be reached or could not answer now: retrying may help. */
export class MlflowUnavailableError extends MlflowError {
  override readonly name: string = 'MlflowUnavailableError';
  readonly retryable = true;
}

/** MLflow refused the request as it is: retrying the same request cannot help. */
export class MlflowRequestError extends MlflowError {
  override readonly name: string = 'MlflowRequestError';
  readonly retryable = false;
}

/** RESOURCE_DOES_NOT_EXIST (or a 404): the experiment, run, model, version or alias is not there. */
export class MlflowNotFoundError extends MlflowRequestError {
  override readonly name: string = 'MlflowNotFoundError';
}

/** RESOURCE_ALREADY_EXISTS (MLflow answers 400, not 409): callers that create treat it as "exists". */
export class MlflowAlreadyExistsError extends MlflowRequestError {
  override readonly name: string = 'MlflowAlreadyExistsError';
}

/** 401/403 (UNAUTHENTICATED, PERMISSION_DENIED, ...): check the token or headers the worker sends. */
export class MlflowAuthError extends MlflowRequestError {
  override readonly name: string = 'MlflowAuthError';
}

/** The registry section or the worker's environment cannot work as it is. */
export class MlflowConfigurationError extends Error {
  override readonly name = 'MlflowConfigurationError';
}

const NOT_FOUND_CODES = new Set(['RESOURCE_DOES_NOT_EXIST', 'NOT_FOUND']);
const AUTH_CODES = new Set(['UNAUTHENTICATED', 'CUSTOMER_UNAUTHORIZED', 'PERMISSION_DENIED', 'UNAUTHORIZED']);
const TRANSIENT_CODES = new Set([
  'TEMPORARILY_UNAVAILABLE', 'REQUEST_LIMIT_EXCEEDED', 'DEADLINE_EXCEEDED', 'INTERNAL_ERROR', 'IO_ERROR', 'ABORTED', 'SERVICE_UNDER_MAINTENANCE',
]);
const TRANSIENT_STATUSES = new Set([408, 429]);

/** Longest part of a non-JSON body quoted in a message (an HTML error page says little more). */
const QUOTED_BODY_CHARS = 300;

/**
 * The error for an answer that was not 2xx. `body` is the raw text; MLflow's JSON
 * `{ error_code, message }` is used when present, else the status and the start of the text.
 */
export function errorFromResponse(endpoint: string, httpStatus: number, body: string): MlflowError {
  const parsed = parseErrorBody(body);
  const code = parsed?.code ?? `HTTP_${httpStatus}`;
  const detail = parsed?.message ?? (body.trim().slice(0, QUOTED_BODY_CHARS) || '(empty body)');
  const message = `MLflow ${endpoint} answered ${httpStatus} ${code}: ${detail}`;
  if (AUTH_CODES.has(code) || httpStatus === 401 || httpStatus === 403) {
    return new MlflowAuthError(`${message} (check the token or headers named by registry.authTokenEnv / registry.headersEnv)`, code, httpStatus, endpoint);
  }
  if (code === 'RESOURCE_ALREADY_EXISTS') return new MlflowAlreadyExistsError(message, code, httpStatus, endpoint);
  if (TRANSIENT_CODES.has(code) || httpStatus >= 500 || TRANSIENT_STATUSES.has(httpStatus)) {
    return new MlflowUnavailableError(message, code, httpStatus, endpoint);
  }
  // Only MLflow's own answer means "not there": a bare 404 page means trackingUri is not an MLflow API.
  if (NOT_FOUND_CODES.has(code)) return new MlflowNotFoundError(message, code, httpStatus, endpoint);
  if (parsed === undefined && httpStatus === 404) {
    return new MlflowRequestError(`${message} (is registry.trackingUri the base URL of an MLflow server?)`, 'ENDPOINT_NOT_FOUND', httpStatus, endpoint);
  }
  return new MlflowRequestError(message, code, httpStatus, endpoint);
}

/** The error for a request that got no answer: refused, reset, DNS, or our timeout. */
export function errorFromFailedFetch(endpoint: string, url: string, error: unknown, timeoutMs: number): MlflowUnavailableError {
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
    return new MlflowUnavailableError(`MLflow ${endpoint} did not answer within ${timeoutMs} ms (${url})`, 'TIMEOUT', undefined, endpoint);
  }
  const reason = err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(error);
  return new MlflowUnavailableError(`MLflow at ${url} is unreachable for ${endpoint}: ${reason}`, 'UNREACHABLE', undefined, endpoint);
}

function parseErrorBody(body: string): { code: string; message: string } | undefined {
  try {
    const value = JSON.parse(body) as { error_code?: unknown; message?: unknown };
    if (typeof value?.error_code !== 'string') return undefined;
    return { code: value.error_code, message: typeof value.message === 'string' ? value.message : '' };
  } catch {
    return undefined;
  }
}
