/** What went wrong with a dataset file; lets callers decide (e.g. a missing file is not worth retrying). */
export type DatasetProblem = 'not_found' | 'unreadable' | 'unknown_column' | 'unsupported_format';

/** A dataset file that cannot be used as given. The message names the file and what to fix. */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  constructor(
    readonly path: string,
    readonly problem: DatasetProblem,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}
