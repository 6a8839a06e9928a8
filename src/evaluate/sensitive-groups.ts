/**
 * The groups of a sensitive attribute as dictionary codes: row i belongs to group
 * `names[codes[i]]`, and code -1 means the value is missing (as in a categorical column).
 */
export interface SensitiveGroups {
  codes: ArrayLike<number>;
  names: readonly string[];
  /** The column the groups come from, e.g. `region`; recorded in the report and checked by the gate. */
  attribute?: string;
}

export const MISSING_CODE = -1;
/**
 * Fairlearn refuses missing sensitive values; dropping those rows would hide whoever they are,
 * so they form a group of their own under this name.
 */
export const MISSING_GROUP_NAME = '(missing)';

/** Groups from a numeric column (e.g. an age band or a 0/1 flag), named by value; NaN is missing. */
export function sensitiveGroupsFromNumbers(values: ArrayLike<number>, attribute?: string): SensitiveGroups {
  const distinct = new Set<number>();
  for (let row = 0; row < values.length; row++) if (!Number.isNaN(values[row]!)) distinct.add(values[row]!);
  const sorted = [...distinct].sort((a, b) => a - b);
  const codeOf = new Map(sorted.map((value, code) => [value, code]));
  const codes = new Int32Array(values.length);
  for (let row = 0; row < values.length; row++) codes[row] = codeOf.get(values[row]!) ?? MISSING_CODE;
  return { codes, names: sorted.map(String), ...(attribute !== undefined && { attribute }) };
}
