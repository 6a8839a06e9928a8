/**
 * Errors about the data handed to a trainer or a scorer. Each names the column (and the row
 * or value) so a person can fix the dataset; retrying with the same data cannot help.
 */

const show = (value: unknown): string => (value === undefined || value === null ? 'a missing value' : JSON.stringify(value));

/** The target column holds something other than 0/1 or true/false. */
export class TargetValueError extends Error {
  override readonly name = 'TargetValueError';
  /** `row` is the 0-based index into the table; the message counts from 1 like a file does. */
  constructor(readonly column: string, readonly row: number, readonly value: unknown) {
    super(`target column "${column}" must hold 0/1 or true/false, but row ${row + 1} has ${show(value)}`);
  }
}

/** A feature (or the target) the model needs is not in the table or the request. */
export class MissingFeatureError extends Error {
  override readonly name = 'MissingFeatureError';
  constructor(readonly feature: string, readonly where: 'table' | 'record', readonly available: string[]) {
    super(`column "${feature}" is not in the ${where}${available.length > 0 ? ` (it has: ${available.slice(0, 20).join(', ')}${available.length > 20 ? ', ...' : ''})` : ''}`);
  }
}

/** A feature's value (or column) has a type the model cannot use, e.g. text for a numeric feature. */
export class FeatureTypeError extends Error {
  override readonly name = 'FeatureTypeError';
  /** `found` describes what was there, e.g. `a text column` or `"abc"`. */
  constructor(readonly feature: string, readonly expected: 'numeric' | 'categorical', readonly found: string) {
    super(`feature "${feature}" must be ${expected === 'numeric' ? 'a number (or true/false, or missing)' : 'a category (text, or missing)'}, got ${found}`);
  }
}

export const describeValue = show;

/** The training data cannot produce a model, e.g. no rows or a single class. */
export class TrainingDataError extends Error {
  override readonly name = 'TrainingDataError';
}
