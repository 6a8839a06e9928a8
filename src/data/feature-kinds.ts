/**
 * Feature kinds must not change between versions without a word. A CSV column of amounts with
 * one "abc" in it is read as text, and would be trained on as a category; the version that
 * served before saw numbers. Each version's reference profile records the kind inferred for
 * every feature, so a later run whose inference differs fails its contract step, naming the
 * column, the kind the earlier version had, and rows that made the difference. Columns whose
 * type the contract pins are left to the contract's own type check.
 */
import type { FeatureKind } from '../drift/profile.js';
import { quoteValue } from '../spec/problems.js';
import type { ContractCheck } from './contract.js';
import type { Table } from './table.js';

const EXAMPLE_ROWS = 5;

export interface ExpectedFeatureKinds {
  /** Which version recorded them, for the message: `v3 (the champion)`. */
  recordedBy: string;
  features: ReadonlyArray<{ name: string; kind: FeatureKind }>;
}

/** One `type` check per feature the earlier version had, failed where the kind changed. */
export function checkFeatureKinds(table: Table, expected: ExpectedFeatureKinds, pinned: ReadonlySet<string>, unloaded: ReadonlyMap<string, FeatureKind> = new Map()): ContractCheck[] {
  const checks: ContractCheck[] = [];
  for (const feature of expected.features) {
    if (pinned.has(feature.name)) continue;
    const column = table.columns.find((c) => c.name === feature.name);
    // A column left unloaded because the file's schema already gives it the expected kind.
    if (!column && unloaded.get(feature.name) === feature.kind) {
      checks.push({ check: 'type', column: feature.name, passed: true, failingRows: 0, exampleRows: [], detail: `${feature.name}: ${feature.kind}, as in ${expected.recordedBy}` });
      continue;
    }
    if (!column) continue; // a missing feature is the trainer's and the contract's error
    if (column.kind === feature.kind) {
      checks.push({ check: 'type', column: feature.name, passed: true, failingRows: 0, exampleRows: [], detail: `${feature.name}: ${feature.kind}, as in ${expected.recordedBy}` });
      continue;
    }
    if (column.kind === 'categorical' && feature.kind === 'numeric') {
      // Rows whose text does not read as a number are what turned the column into text.
      const notNumeric = column.dictionary.map((value) => value.trim() !== '' && !Number.isFinite(Number(value)) && !/^(true|false)$/i.test(value.trim()));
      const rows: number[] = [];
      let failing = 0;
      for (let row = 0; row < table.rowCount; row++) {
        const code = column.codes[row]!;
        if (code >= 0 && notNumeric[code]) {
          failing++;
          if (rows.length < EXAMPLE_ROWS) rows.push(row);
        }
      }
      const examples = rows.map((row) => `row ${row + 1}: ${quoteValue(column.dictionary[column.codes[row]!])}`).join(', ');
      checks.push({
        check: 'type', column: feature.name, passed: false, failingRows: failing, exampleRows: rows.map((r) => r + 1),
        detail: `${feature.name}: expected numeric (as in ${expected.recordedBy}), got text: ${failing} value${failing === 1 ? '' : 's'} not a number (${examples}); fix the data, or pin the type in data.contract.columns.${feature.name}.type`,
      });
    } else {
      checks.push({
        check: 'type', column: feature.name, passed: false, failingRows: table.rowCount, exampleRows: [],
        detail: `${feature.name}: expected text (categorical, as in ${expected.recordedBy}), got numbers only; to keep it a category, pin data.contract.columns.${feature.name}.type: string`,
      });
    }
  }
  return checks;
}
