/** What went wrong with a dataset; lets callers decide (e.g. a missing file is not worth retrying). */
export type DatasetProblem = 'not_found' | 'unreadable' | 'unknown_column' | 'unsupported_format' | 'invalid';

/** A dataset that cannot be used as given. The message names the file (when known) and what to fix. */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  readonly path: string | undefined;
  readonly problem: DatasetProblem;

  constructor(message: string, details: { path?: string; problem?: DatasetProblem } = {}) {
    super(message);
    this.path = details.path;
    this.problem = details.problem ?? 'invalid';
  }

  /** `<path>: <detail>`, the form every error about a file takes. */
  static about(path: string, problem: DatasetProblem, detail: string): DatasetError {
    return new DatasetError(`${path}: ${detail}`, { path, problem });
  }
}
