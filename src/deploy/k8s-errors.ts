/**
 * Errors of the Kubernetes deploy targets. Those with `nonRetryable = true` describe a request or
 * a configuration that retrying cannot fix; activities turn them into non-retryable failures.
 */

/** The Kubernetes `Status` body the API server answers errors with. */
export interface KubernetesStatus {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: { name?: string; kind?: string; causes?: { field?: string; message?: string; reason?: string }[] };
}

/**
 * The API server refused the body or the verb (400 BadRequest such as an unknown field under
 * `fieldValidation=Strict`, 422 Invalid, 403 Forbidden, 415 UnsupportedMediaType). `fields` names
 * the offending fields when the server said which.
 */
export class KubernetesRejectedError extends Error {
  override readonly name = 'KubernetesRejectedError';
  readonly nonRetryable = true;
  constructor(
    readonly object: string,
    readonly verb: string,
    readonly code: number,
    readonly reason: string,
    readonly fields: string[],
    serverMessage: string,
  ) {
    super(`the API server rejected ${verb} ${object} (${code} ${reason}): ${serverMessage}${fields.length ? ` [fields: ${fields.join(', ')}]` : ''}`);
  }
}

/** Every attempt met a 409 Conflict (a concurrent writer kept winning); a retry of the activity may succeed. */
export class KubernetesConflictError extends Error {
  override readonly name = 'KubernetesConflictError';
  readonly nonRetryable = false;
}

/** No usable kubeconfig, context or cluster. */
export class KubernetesConfigError extends Error {
  override readonly name = 'KubernetesConfigError';
  readonly nonRetryable = true;
}

/** A weight the target cannot express, e.g. 5% with 10 replicas on `kubernetes-deployment`. */
export class TrafficGranularityError extends Error {
  override readonly name = 'TrafficGranularityError';
  readonly nonRetryable = true;
}

/** Weights that are not whole percents in 0..100 summing to 100. */
export class InvalidWeightsError extends Error {
  override readonly name = 'InvalidWeightsError';
  readonly nonRetryable = true;
}

/** Traffic asked for a version that is not deployed (no Deployment, subset or InferenceService revision). */
export class VersionNotDeployedError extends Error {
  override readonly name = 'VersionNotDeployedError';
  readonly nonRetryable = true;
}

/** The server stored something other than what was asked (read back after the write); retrying rewrites it. */
export class TrafficMismatchError extends Error {
  override readonly name = 'TrafficMismatchError';
  readonly nonRetryable = false;
}

/** Error class names activities must treat as non-retryable (`ApplicationFailure.nonRetryable(message, name)`). */
export const NON_RETRYABLE_KUBERNETES_ERRORS = ['KubernetesRejectedError', 'KubernetesConfigError', 'TrafficGranularityError', 'InvalidWeightsError', 'VersionNotDeployedError'] as const;

export function isNonRetryableDeployError(err: unknown): err is Error {
  return err instanceof Error && (err as { nonRetryable?: unknown }).nonRetryable === true;
}
