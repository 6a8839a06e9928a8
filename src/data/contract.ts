/**
 * Data contracts: the checks a dataset must pass before anyone trains on it (row counts,
 * column presence, types, ranges, allowed values, nulls, uniqueness). Pure: a Table and the
 * contract from the pipeline definition in, a report out; failures point at file rows.
 */
import type { ColumnContract, ColumnType, DataContract } from '../spec/schema.js';
import { isBooleanSourceType, isIntegerSourceType } from './source-types.js';
import type { CategoricalColumn, Column, NumericColumn, Table } from './table.js';
import { getColumn } from './table.js';

export type ContractCheckName = 'min_rows' | 'max_rows' | 'column_present' | 'type' | 'range' | 'allowed_values' | 'null_share' | 'unique';

export interface ContractCheck {
  check: ContractCheckName;
  column?: string;
  passed: boolean;
  /** Rows that break the check (0 for row-count checks and passed checks). */
  failingRows: number;
  /** Up to 5 failing rows, numbered as a person counts data rows in the file (first data row = 1). */
  exampleRows: number[];
  /** One line a person can act on, e.g. `amount: 37 values below min 0 (e.g. rows 4, 18, 22, 90, 131)`. */
  detail: string;
}

export interface ContractReport {
  passed: boolean;
  rowCount: number;
  checks: ContractCheck[];
}

const EXAMPLE_ROWS = 5;

/** A string column checked from counts taken over the file (contract-file.ts) instead of its values. */
export interface CountedColumn {
  name: string;
  sourceType: string;
  nonNull: number;
  distinct: number;
  /** The first rows (1-based) that repeat an earlier value / are null, when known. */
  repeatedRows?: number[];
  nullRows?: number[];
}

/**
 * `counted`: string columns absent from `table` whose checks (type string, null share,
 * uniqueness) are answered from their counts; their failures show the example rows given with
 * the counts (contract-file.ts finds them in the file, or loads the column and checks again).
 */
export function checkDataContract(table: Table, contract: DataContract, counted: ReadonlyMap<string, CountedColumn> = new Map()): ContractReport {
  const checks: ContractCheck[] = [checkMinRows(table.rowCount, contract.minRows)];
  if (contract.maxRows !== undefined) checks.push(checkMaxRows(table.rowCount, contract.maxRows));
  for (const [name, columnContract] of Object.entries(contract.columns)) {
    const count = getColumn(table, name) ? undefined : counted.get(name);
    checks.push(...(count ? checkCountedColumn(count, columnContract, table.rowCount) : checkColumn(table, name, columnContract)));
  }
  return { passed: checks.every((c) => c.passed), rowCount: table.rowCount, checks };
}

/** Thrown by the pipeline when a dataset fails its contract; retrying cannot fix the data. */
export class DataContractViolation extends Error {
  override readonly name = 'DataContractViolation';
  constructor(readonly report: ContractReport) {
    const failed = report.checks.filter((c) => !c.passed);
    super(`data contract violated: ${failed.length} of ${report.checks.length} checks failed on ${report.rowCount} rows\n${failed.map((c) => `  - ${c.detail}`).join('\n')}`);
  }
}

/** Every check, one per line, for logs and the CLI. */
export function formatContractReport(report: ContractReport): string {
  const failed = report.checks.filter((c) => !c.passed).length;
  const headline = report.passed
    ? `data contract passed: ${report.checks.length} checks on ${report.rowCount} rows`
    : `data contract failed: ${failed} of ${report.checks.length} checks on ${report.rowCount} rows`;
  const width = Math.max(...report.checks.map((c) => c.check.length));
  return [headline, ...report.checks.map((c) => `  ${c.passed ? 'ok  ' : 'FAIL'}  ${c.check.padEnd(width)}  ${c.detail}`)].join('\n');
}

// ---------------------------------------------------------------- row counts

function checkMinRows(rowCount: number, minRows: number): ContractCheck {
  const passed = rowCount >= minRows;
  return { check: 'min_rows', passed, failingRows: 0, exampleRows: [], detail: passed ? `${rowCount} rows (min ${minRows})` : `expected at least ${minRows} rows, got ${rowCount}` };
}

function checkMaxRows(rowCount: number, maxRows: number): ContractCheck {
  const passed = rowCount <= maxRows;
  return { check: 'max_rows', passed, failingRows: 0, exampleRows: [], detail: passed ? `${rowCount} rows (max ${maxRows})` : `expected at most ${maxRows} rows, got ${rowCount}` };
}

// ---------------------------------------------------------------- columns

function checkColumn(table: Table, name: string, contract: ColumnContract): ContractCheck[] {
  const column = getColumn(table, name);
  if (!column) {
    const detail = contract.required
      ? `${name}: required column is missing (the dataset has: ${table.columns.map((c) => c.name).join(', ')})`
      : `${name}: optional column absent, not checked`;
    return [{ check: 'column_present', column: name, passed: !contract.required, failingRows: 0, exampleRows: [], detail }];
  }
  const checks: ContractCheck[] = [{ check: 'column_present', column: name, passed: true, failingRows: 0, exampleRows: [], detail: `${name}: present` }];
  checks.push(checkType(column, contract.type, table.rowCount));
  if ((contract.min !== undefined || contract.max !== undefined) && column.kind === 'numeric') {
    checks.push(checkRange(column, contract.min, contract.max));
  }
  if (contract.allowed) checks.push(checkAllowedValues(column, contract.allowed, table.rowCount));
  checks.push(checkNullShare(column, contract.maxNullShare, table.rowCount));
  if (contract.unique) checks.push(checkUnique(column, table.rowCount));
  return checks;
}

/** The checks of a counted string column, worded as the checks over its values. */
function checkCountedColumn(column: CountedColumn, contract: ColumnContract, rowCount: number): ContractCheck[] {
  const { name } = column;
  if (contract.type !== 'string' || contract.allowed || contract.min !== undefined || contract.max !== undefined) {
    throw new RangeError(`${name}: only a string column with null-share and uniqueness checks can be checked from counts`);
  }
  const checks: ContractCheck[] = [
    { check: 'column_present', column: name, passed: true, failingRows: 0, exampleRows: [], detail: `${name}: present` },
    result('type', name, { count: 0, examples: [] }, '', `${name}: strings`),
  ];
  const nulls = rowCount - column.nonNull;
  const share = rowCount === 0 ? 0 : nulls / rowCount;
  const nullsPassed = share <= contract.maxNullShare;
  const summary = `${plural(nulls, 'null', 'nulls')} (${percent(share)})`;
  checks.push({
    check: 'null_share', column: name, passed: nullsPassed, failingRows: nullsPassed ? 0 : nulls, exampleRows: nullsPassed ? [] : column.nullRows ?? [],
    detail: nullsPassed ? `${name}: ${summary}, max share ${percent(contract.maxNullShare)}` : `${name}: ${summary} above max share ${percent(contract.maxNullShare)}${rowsNote(column.nullRows ?? [])}`,
  });
  if (contract.unique) {
    const repeats = column.nonNull - column.distinct;
    const examples = column.repeatedRows ?? [];
    checks.push(result('unique', name, { count: repeats, examples }, `${name}: ${plural(repeats, 'value repeats', 'values repeat')} an earlier row${rowsNote(examples)}`, `${name}: all values unique`));
  }
  return checks;
}

/** Rows (0-based) where `failing` holds: how many, and the first few as 1-based file rows. */
function findFailingRows(rowCount: number, failing: (row: number) => boolean): { count: number; examples: number[] } {
  let count = 0;
  const examples: number[] = [];
  for (let row = 0; row < rowCount; row++) {
    if (!failing(row)) continue;
    count++;
    if (examples.length < EXAMPLE_ROWS) examples.push(row + 1);
  }
  return { count, examples };
}

function rowsNote(examples: number[]): string {
  return examples.length === 0 ? '' : ` (e.g. ${examples.length === 1 ? 'row' : 'rows'} ${examples.join(', ')})`;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

function result(check: ContractCheckName, column: string, failing: { count: number; examples: number[] }, failDetail: string, passDetail: string): ContractCheck {
  const passed = failing.count === 0;
  return { check, column, passed, failingRows: failing.count, exampleRows: passed ? [] : failing.examples, detail: passed ? passDetail : failDetail };
}

// ---------------------------------------------------------------- type

const TEXT_READS_AS: Record<Exclude<ColumnType, 'string'>, (text: string) => boolean> = {
  number: (text) => text.trim() !== '' && Number.isFinite(Number(text)),
  integer: (text) => text.trim() !== '' && Number.isInteger(Number(text)),
  boolean: (text) => /^(true|false|0|1)$/i.test(text.trim()),
};

const TYPE_NOUN: Record<ColumnType, string> = { number: 'numbers', integer: 'integers', boolean: 'booleans (true/false or 0/1)', string: 'strings' };
const TYPE_NOUN_SINGULAR: Record<ColumnType, string> = { number: 'a number', integer: 'an integer', boolean: 'a boolean (true/false or 0/1)', string: 'a string' };

/** `2 values are not integers` / `1 value is not an integer` */
function notOfType(count: number, type: ColumnType): string {
  return count === 1 ? `1 value is not ${TYPE_NOUN_SINGULAR[type]}` : `${count} values are not ${TYPE_NOUN[type]}`;
}

function checkType(column: Column, type: ColumnType, rowCount: number): ContractCheck {
  const name = column.name;
  if (type === 'string') {
    if (column.kind === 'categorical') return result('type', name, { count: 0, examples: [] }, '', `${name}: strings`);
    const values = column.values;
    const failing = findFailingRows(rowCount, (row) => !Number.isNaN(values[row]!));
    const detail = `${name}: expected strings, got a numeric column (${column.sourceType}) with ${plural(failing.count, 'value', 'values')}${rowsNote(failing.examples)}`;
    return { check: 'type', column: name, passed: false, failingRows: failing.count, exampleRows: failing.examples, detail };
  }
  if (column.kind === 'categorical') return checkTextAgainstType(column, type, rowCount);
  if (type === 'number') return result('type', name, { count: 0, examples: [] }, '', `${name}: numbers (${column.sourceType})`);
  if (type === 'integer' && isIntegerSourceType(column.sourceType)) return result('type', name, { count: 0, examples: [] }, '', `${name}: integers (${column.sourceType})`);
  if (type === 'boolean' && isBooleanSourceType(column.sourceType)) return result('type', name, { count: 0, examples: [] }, '', `${name}: booleans`);
  const values = column.values;
  const isWrong = type === 'integer' ? (v: number) => !Number.isInteger(v) : (v: number) => v !== 0 && v !== 1;
  const failing = findFailingRows(rowCount, (row) => !Number.isNaN(values[row]!) && isWrong(values[row]!));
  return result('type', name, failing, `${name}: ${notOfType(failing.count, type)}${rowsNote(failing.examples)}`, `${name}: ${TYPE_NOUN[type]} (${column.sourceType} values)`);
}

/** A text column where numbers were expected: point at the rows that do not read as such (e.g. "N/A"). */
function checkTextAgainstType(column: CategoricalColumn, type: Exclude<ColumnType, 'string'>, rowCount: number): ContractCheck {
  const readsAsType = column.dictionary.map(TEXT_READS_AS[type]);
  const codes = column.codes;
  const failing = findFailingRows(rowCount, (row) => codes[row]! >= 0 && !readsAsType[codes[row]!]);
  const detail =
    failing.count > 0
      ? `${column.name}: ${notOfType(failing.count, type)}${rowsNote(failing.examples)}`
      : `${column.name}: expected ${TYPE_NOUN[type]}, but the file stores the column as text (${column.sourceType})`;
  return { check: 'type', column: column.name, passed: false, failingRows: failing.count, exampleRows: failing.examples, detail };
}

// ---------------------------------------------------------------- range, allowed values

/** Nulls are not range violations: they count against maxNullShare only. */
function checkRange(column: NumericColumn, min: number | undefined, max: number | undefined): ContractCheck {
  const values = column.values;
  let below = 0;
  let above = 0;
  // NaN (null) compares false with everything, so it is never out of range.
  const failing = findFailingRows(values.length, (row) => {
    const value = values[row]!;
    if (min !== undefined && value < min) {
      below++;
      return true;
    }
    if (max !== undefined && value > max) {
      above++;
      return true;
    }
    return false;
  });
  const parts = [below > 0 ? `${plural(below, 'value', 'values')} below min ${min}` : '', above > 0 ? `${plural(above, 'value', 'values')} above max ${max}` : ''].filter(Boolean);
  const bounds = min !== undefined && max !== undefined ? `within [${min}, ${max}]` : min !== undefined ? `>= ${min}` : `<= ${max}`;
  return result('range', column.name, failing, `${column.name}: ${parts.join(' and ')}${rowsNote(failing.examples)}`, `${column.name}: all values ${bounds}`);
}

function checkAllowedValues(column: Column, allowed: Array<string | number | boolean>, rowCount: number): ContractCheck {
  const offending: string[] = [];
  const noteOffending = (text: string) => {
    if (offending.length < EXAMPLE_ROWS && !offending.includes(text)) offending.push(text);
  };
  let failing: { count: number; examples: number[] };
  if (column.kind === 'categorical') {
    const allowedText = new Set(allowed.map(String));
    const isAllowed = column.dictionary.map((entry) => allowedText.has(entry));
    const { codes, dictionary } = column;
    failing = findFailingRows(rowCount, (row) => {
      const code = codes[row]!;
      if (code < 0 || isAllowed[code]) return false;
      noteOffending(JSON.stringify(dictionary[code]));
      return true;
    });
  } else {
    // Booleans are stored as 0/1; numeric strings in the contract match their number.
    const asNumber = (v: string | number | boolean) => (typeof v === 'string' && v.trim() === '' ? Number.NaN : Number(v));
    const allowedNumbers = new Set(allowed.map(asNumber).filter((v) => !Number.isNaN(v)));
    const values = column.values;
    failing = findFailingRows(rowCount, (row) => {
      const value = values[row]!;
      if (Number.isNaN(value) || allowedNumbers.has(value)) return false;
      noteOffending(String(value));
      return true;
    });
  }
  const rows = failing.examples.length > 0 ? `; ${failing.examples.length === 1 ? 'row' : 'rows'} ${failing.examples.join(', ')}` : '';
  return result(
    'allowed_values',
    column.name,
    failing,
    `${column.name}: ${plural(failing.count, 'value', 'values')} not in the allowed set (e.g. ${offending.join(', ')}${rows})`,
    `${column.name}: all values in the allowed set`,
  );
}

// ---------------------------------------------------------------- nulls, uniqueness

function isMissingAt(column: Column): (row: number) => boolean {
  if (column.kind === 'numeric') {
    const values = column.values;
    return (row) => Number.isNaN(values[row]!);
  }
  const codes = column.codes;
  return (row) => codes[row]! < 0;
}

function percent(share: number): string {
  return `${Number((share * 100).toFixed(2))}%`;
}

function checkNullShare(column: Column, maxNullShare: number, rowCount: number): ContractCheck {
  const nulls = findFailingRows(rowCount, isMissingAt(column));
  const share = rowCount === 0 ? 0 : nulls.count / rowCount;
  const passed = share <= maxNullShare;
  const summary = `${plural(nulls.count, 'null', 'nulls')} (${percent(share)})`;
  return {
    check: 'null_share',
    column: column.name,
    passed,
    failingRows: passed ? 0 : nulls.count,
    exampleRows: passed ? [] : nulls.examples,
    detail: passed ? `${column.name}: ${summary}, max share ${percent(maxNullShare)}` : `${column.name}: ${summary} above max share ${percent(maxNullShare)}${rowsNote(nulls.examples)}`,
  };
}

/** A row fails when its value already appeared in an earlier row; nulls are never duplicates (as in SQL). */
function checkUnique(column: Column, rowCount: number): ContractCheck {
  let failing: { count: number; examples: number[] };
  if (column.kind === 'categorical') {
    const seen = new Uint8Array(column.dictionary.length);
    const codes = column.codes;
    failing = findFailingRows(rowCount, (row) => {
      const code = codes[row]!;
      if (code < 0) return false;
      if (seen[code]) return true;
      seen[code] = 1;
      return false;
    });
  } else {
    const seen = new Set<number>();
    const values = column.values;
    failing = findFailingRows(rowCount, (row) => {
      const value = values[row]!;
      if (Number.isNaN(value)) return false;
      if (seen.has(value)) return true;
      seen.add(value);
      return false;
    });
  }
  return result('unique', column.name, failing, `${column.name}: ${plural(failing.count, 'value repeats', 'values repeat')} an earlier row${rowsNote(failing.examples)}`, `${column.name}: all values unique`);
}
