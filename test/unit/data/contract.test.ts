import { describe, expect, it } from 'vitest';
import { checkDataContract, DataContractViolation, formatContractReport, type ContractCheck, type ContractReport } from '../../../src/data/contract.js';
import type { CategoricalColumn, NumericColumn, Table } from '../../../src/data/table.js';
import { DataContract, type ColumnContract } from '../../../src/spec/schema.js';

const N = Number.NaN;

function numeric(name: string, values: number[], sourceType = 'DOUBLE'): NumericColumn {
  return { name, kind: 'numeric', sourceType, values: new Float64Array(values) };
}

function categorical(name: string, values: Array<string | null>): CategoricalColumn {
  const dictionary = [...new Set(values.filter((v): v is string => v !== null))].sort();
  return { name, kind: 'categorical', sourceType: 'VARCHAR', dictionary, codes: new Int32Array(values.map((v) => (v === null ? -1 : dictionary.indexOf(v)))) };
}

function table(...columns: Array<NumericColumn | CategoricalColumn>): Table {
  const rowCount = columns[0] ? (columns[0].kind === 'numeric' ? columns[0].values.length : columns[0].codes.length) : 0;
  return { rowCount, columns };
}

/** A contract as a person writes it in YAML, with the schema's defaults applied. */
function contract(input: { minRows?: number; maxRows?: number; columns?: Record<string, Partial<ColumnContract> & Pick<ColumnContract, 'type'>> }): DataContract {
  return DataContract.parse(input);
}

function onlyCheck(report: ContractReport, check: ContractCheck['check'], column?: string): ContractCheck {
  const found = report.checks.filter((c) => c.check === check && c.column === column);
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('checkDataContract: row counts', () => {
  const data = table(numeric('x', [1, 2, 3]));

  it('passes when the row count is within minRows and maxRows', () => {
    const report = checkDataContract(data, contract({ minRows: 3, maxRows: 3 }));
    expect(report).toEqual({
      passed: true,
      rowCount: 3,
      checks: [
        { check: 'min_rows', passed: true, failingRows: 0, exampleRows: [], detail: '3 rows (min 3)' },
        { check: 'max_rows', passed: true, failingRows: 0, exampleRows: [], detail: '3 rows (max 3)' },
      ],
    });
  });

  it('fails min_rows with too few rows and max_rows with too many', () => {
    expect(onlyCheck(checkDataContract(data, contract({ minRows: 4 })), 'min_rows')).toMatchObject({ passed: false, detail: 'expected at least 4 rows, got 3' });
    expect(onlyCheck(checkDataContract(data, contract({ maxRows: 2 })), 'max_rows')).toMatchObject({ passed: false, detail: 'expected at most 2 rows, got 3' });
  });

  it('checks max_rows only when the contract sets it', () => {
    expect(checkDataContract(data, contract({})).checks.map((c) => c.check)).toEqual(['min_rows']);
  });
});

describe('checkDataContract: column presence', () => {
  const data = table(numeric('amount', [1, 2]));

  it('fails a missing required column and names the columns that exist', () => {
    const report = checkDataContract(data, contract({ columns: { region: { type: 'string' } } }));
    expect(report.passed).toBe(false);
    expect(report.checks.filter((c) => c.column === 'region')).toEqual([
      { check: 'column_present', column: 'region', passed: false, failingRows: 0, exampleRows: [], detail: 'region: required column is missing (the dataset has: amount)' },
    ]);
  });

  it('passes a missing optional column without checking anything else about it', () => {
    const report = checkDataContract(data, contract({ columns: { region: { type: 'string', required: false, maxNullShare: 0 } } }));
    expect(report.passed).toBe(true);
    expect(report.checks.filter((c) => c.column === 'region')).toEqual([
      { check: 'column_present', column: 'region', passed: true, failingRows: 0, exampleRows: [], detail: 'region: optional column absent, not checked' },
    ]);
  });

  it('runs presence, type and null checks on a present column by default', () => {
    const report = checkDataContract(data, contract({ columns: { amount: { type: 'number' } } }));
    expect(report.checks.map((c) => c.check)).toEqual(['min_rows', 'column_present', 'type', 'null_share']);
    expect(report.passed).toBe(true);
  });
});

describe('checkDataContract: types', () => {
  const check = (column: NumericColumn | CategoricalColumn, type: ColumnContract['type']) =>
    onlyCheck(checkDataContract(table(column), contract({ columns: { [column.name]: { type, maxNullShare: 1 } } })), 'type', column.name);

  it('accepts any numeric column as number', () => {
    expect(check(numeric('a', [1.5, N], 'DOUBLE'), 'number').passed).toBe(true);
    expect(check(numeric('a', [1, 0], 'BOOLEAN'), 'number').passed).toBe(true);
  });

  it('points at the text values that are not numbers in a text column', () => {
    expect(check(categorical('amount', ['1.5', 'N/A', '3', null, 'n/a', '7']), 'number')).toEqual({
      check: 'type', column: 'amount', passed: false, failingRows: 2, exampleRows: [2, 5], detail: 'amount: 2 values are not numbers (e.g. rows 2, 5)',
    });
  });

  it('fails a text column even when every value reads as a number, because the file stores text', () => {
    expect(check(categorical('amount', ['1', '2']), 'number')).toMatchObject({ passed: false, failingRows: 0, detail: 'amount: expected numbers, but the file stores the column as text (VARCHAR)' });
  });

  it('accepts integer source types as integer, and whole DOUBLE values', () => {
    expect(check(numeric('n', [1, 2], 'BIGINT'), 'integer').passed).toBe(true);
    expect(check(numeric('n', [1, 2, N, -4], 'DOUBLE'), 'integer').passed).toBe(true);
  });

  it('fails fractional values for integer, with counts and row numbers', () => {
    expect(check(numeric('n', [1, 2.5, 3, N, 4.25], 'DOUBLE'), 'integer')).toEqual({
      check: 'type', column: 'n', passed: false, failingRows: 2, exampleRows: [2, 5], detail: 'n: 2 values are not integers (e.g. rows 2, 5)',
    });
  });

  it('accepts BOOLEAN and 0/1 columns as boolean and fails other values', () => {
    expect(check(numeric('b', [1, 0], 'BOOLEAN'), 'boolean').passed).toBe(true);
    expect(check(numeric('b', [0, 1, N, 1], 'BIGINT'), 'boolean').passed).toBe(true);
    expect(check(numeric('b', [0, 1, 2, 1], 'BIGINT'), 'boolean')).toMatchObject({ passed: false, failingRows: 1, exampleRows: [3], detail: 'b: 1 value is not a boolean (true/false or 0/1) (e.g. row 3)' });
  });

  it('accepts a categorical column as string and fails a numeric one', () => {
    expect(check(categorical('s', ['x', null]), 'string').passed).toBe(true);
    expect(check(numeric('s', [1, N, 3]), 'string')).toEqual({
      check: 'type', column: 's', passed: false, failingRows: 2, exampleRows: [1, 3], detail: 's: expected strings, got a numeric column (DOUBLE) with 2 values (e.g. rows 1, 3)',
    });
  });
});

describe('checkDataContract: ranges', () => {
  const amounts = numeric('amount', [5, -1, 50, 101, N, -3, 200, 0, 100, -0.5, 300]);
  const check = (bounds: { min?: number; max?: number }) =>
    onlyCheck(checkDataContract(table(amounts), contract({ columns: { amount: { type: 'number', maxNullShare: 1, ...bounds } } })), 'range', 'amount');

  it('counts values below min and above max separately, ignoring nulls, and shows the first 5 rows', () => {
    expect(check({ min: 0, max: 100 })).toEqual({
      check: 'range', column: 'amount', passed: false, failingRows: 6, exampleRows: [2, 4, 6, 7, 10],
      detail: 'amount: 3 values below min 0 and 3 values above max 100 (e.g. rows 2, 4, 6, 7, 10)',
    });
  });

  it('checks a lower bound alone', () => {
    expect(check({ min: 0 })).toMatchObject({ passed: false, failingRows: 3, exampleRows: [2, 6, 10], detail: 'amount: 3 values below min 0 (e.g. rows 2, 6, 10)' });
  });

  it('passes when every value is within the bounds (inclusive)', () => {
    expect(check({ min: -3, max: 300 })).toEqual({ check: 'range', column: 'amount', passed: true, failingRows: 0, exampleRows: [], detail: 'amount: all values within [-3, 300]' });
  });

  it('adds no range check when the contract sets no bounds', () => {
    const report = checkDataContract(table(amounts), contract({ columns: { amount: { type: 'number', maxNullShare: 1 } } }));
    expect(report.checks.some((c) => c.check === 'range')).toBe(false);
  });
});

describe('checkDataContract: allowed values', () => {
  it('fails categories outside the allowed set, naming them and their rows; nulls are not violations', () => {
    const regions = categorical('region', ['north', 'mars', 'south', null, 'moon', 'mars', 'north']);
    const report = checkDataContract(table(regions), contract({ columns: { region: { type: 'string', allowed: ['north', 'south'], maxNullShare: 0.5 } } }));
    expect(onlyCheck(report, 'allowed_values', 'region')).toEqual({
      check: 'allowed_values', column: 'region', passed: false, failingRows: 3, exampleRows: [2, 5, 6],
      detail: 'region: 3 values not in the allowed set (e.g. "mars", "moon"; rows 2, 5, 6)',
    });
  });

  it('matches numbers and booleans for numeric columns', () => {
    const flags = numeric('flag', [0, 1, 1, 2, N], 'BIGINT');
    const failing = checkDataContract(table(flags), contract({ columns: { flag: { type: 'integer', allowed: [0, 1], maxNullShare: 1 } } }));
    expect(onlyCheck(failing, 'allowed_values', 'flag')).toMatchObject({ passed: false, failingRows: 1, exampleRows: [4], detail: 'flag: 1 value not in the allowed set (e.g. 2; row 4)' });
    const booleans = checkDataContract(table(numeric('flag', [0, 1], 'BOOLEAN')), contract({ columns: { flag: { type: 'boolean', allowed: [true, false] } } }));
    expect(onlyCheck(booleans, 'allowed_values', 'flag')).toMatchObject({ passed: true, detail: 'flag: all values in the allowed set' });
  });
});

describe('checkDataContract: nulls', () => {
  const withNulls = table(numeric('amount', [1, N, 3, 4, N, 6, 7, 8, 9, 10]), categorical('note', ['a', null, null, null, 'b', 'c', 'd', 'e', 'f', 'g']));

  it('fails when the null share exceeds maxNullShare (default 0), with the null rows', () => {
    const report = checkDataContract(withNulls, contract({ columns: { amount: { type: 'number' }, note: { type: 'string', maxNullShare: 0.25 } } }));
    expect(onlyCheck(report, 'null_share', 'amount')).toEqual({
      check: 'null_share', column: 'amount', passed: false, failingRows: 2, exampleRows: [2, 5], detail: 'amount: 2 nulls (20%) above max share 0% (e.g. rows 2, 5)',
    });
    expect(onlyCheck(report, 'null_share', 'note')).toEqual({
      check: 'null_share', column: 'note', passed: false, failingRows: 3, exampleRows: [2, 3, 4], detail: 'note: 3 nulls (30%) above max share 25% (e.g. rows 2, 3, 4)',
    });
  });

  it('passes when the null share is at most maxNullShare', () => {
    const report = checkDataContract(withNulls, contract({ columns: { amount: { type: 'number', maxNullShare: 0.2 } } }));
    expect(onlyCheck(report, 'null_share', 'amount')).toEqual({ check: 'null_share', column: 'amount', passed: true, failingRows: 0, exampleRows: [], detail: 'amount: 2 nulls (20%), max share 20%' });
  });
});

describe('checkDataContract: uniqueness', () => {
  it('fails rows that repeat an earlier value, for text and numbers; nulls never repeat', () => {
    const data = table(categorical('id', ['a', 'b', 'a', null, null, 'c', 'b', 'a']), numeric('n', [1, 2, 3, 1, N, N, 2, 4]));
    const report = checkDataContract(data, contract({ columns: { id: { type: 'string', unique: true, maxNullShare: 1 }, n: { type: 'number', unique: true, maxNullShare: 1 } } }));
    expect(onlyCheck(report, 'unique', 'id')).toEqual({ check: 'unique', column: 'id', passed: false, failingRows: 3, exampleRows: [3, 7, 8], detail: 'id: 3 values repeat an earlier row (e.g. rows 3, 7, 8)' });
    expect(onlyCheck(report, 'unique', 'n')).toEqual({ check: 'unique', column: 'n', passed: false, failingRows: 2, exampleRows: [4, 7], detail: 'n: 2 values repeat an earlier row (e.g. rows 4, 7)' });
  });

  it('passes distinct values', () => {
    const report = checkDataContract(table(categorical('id', ['a', 'b', 'c'])), contract({ columns: { id: { type: 'string', unique: true } } }));
    expect(onlyCheck(report, 'unique', 'id')).toMatchObject({ passed: true, detail: 'id: all values unique' });
  });
});

describe('DataContractViolation and formatContractReport', () => {
  const data = table(numeric('amount', [-1, 2, -3, 4, -5, -6, -7, 8]), categorical('region', ['north', 'south', 'north', 'west', 'north', 'north', 'north', 'north']));
  const report = checkDataContract(data, contract({ minRows: 10, columns: { amount: { type: 'number', min: 0 }, region: { type: 'string', allowed: ['north', 'south'] } } }));

  it('lists each failed check with its count and up to 5 example rows', () => {
    expect(report.passed).toBe(false);
    const violation = new DataContractViolation(report);
    expect(violation.name).toBe('DataContractViolation');
    expect(violation.report).toBe(report);
    expect(violation.message).toBe(
      [
        'data contract violated: 3 of 9 checks failed on 8 rows',
        '  - expected at least 10 rows, got 8',
        '  - amount: 5 values below min 0 (e.g. rows 1, 3, 5, 6, 7)',
        '  - region: 1 value not in the allowed set (e.g. "west"; row 4)',
      ].join('\n'),
    );
  });

  it('formats every check, passed or failed, one per line', () => {
    const lines = formatContractReport(report).split('\n');
    expect(lines[0]).toBe('data contract failed: 3 of 9 checks on 8 rows');
    expect(lines).toHaveLength(10);
    expect(lines).toContain('  FAIL  range           amount: 5 values below min 0 (e.g. rows 1, 3, 5, 6, 7)');
    expect(lines).toContain('  ok    null_share      region: 0 nulls (0%), max share 0%');
  });
});
