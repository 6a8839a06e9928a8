/**
 * checkDataContractOnFile reads only what the checks need (the contract's columns; an id's
 * uniqueness and nulls by a DuckDB aggregate). Invariant (fast-check): on any file, contract and
 * expected feature kinds, its report equals the report of checkDataContract + checkFeatureKinds
 * over the whole loaded table — the same checks, in the same order, with the same details and
 * example rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import path from 'node:path';
import { checkDataContract } from '../../../src/data/contract.js';
import { checkDataContractOnFile } from '../../../src/data/contract-file.js';
import { checkFeatureKinds, type ExpectedFeatureKinds } from '../../../src/data/feature-kinds.js';
import { generateFraudTable } from '../../../src/data/generate.js';
import { loadDataset } from '../../../src/data/load-dataset.js';
import { writeDataset } from '../../../src/data/write-dataset.js';
import type { CategoricalColumn, NumericColumn, Table } from '../../../src/data/table.js';
import { DataContract } from '../../../src/spec/schema.js';
import { makeTemporaryDirectory } from './duckdb-files.js';

let directory: { path: string; remove: () => Promise<void> };
beforeAll(async () => {
  directory = await makeTemporaryDirectory('contract-file');
});
afterAll(() => directory.remove());

const ROWS = 300;

/** The generator's rows with some ids repeated or blanked, some amounts blanked. */
function dataset(seed: number, repeats: number[], idNulls: number[], amountNulls: number[]): Table {
  const { table } = generateFraudTable({ rows: ROWS, seed });
  const columns = table.columns.map((column) => {
    if (column.name === 'transaction_id') {
      const codes = Int32Array.from((column as CategoricalColumn).codes);
      for (const row of repeats) codes[row] = codes[Math.max(0, row - 1)]!;
      for (const row of idNulls) codes[row] = -1;
      return { ...(column as CategoricalColumn), codes };
    }
    if (column.name === 'amount') {
      const values = Float64Array.from((column as NumericColumn).values);
      for (const row of amountNulls) values[row] = Number.NaN;
      return { ...(column as NumericColumn), values };
    }
    return column;
  });
  return { rowCount: table.rowCount, columns };
}

const rows = fc.uniqueArray(fc.integer({ min: 1, max: ROWS - 1 }), { maxLength: 4 });
const idContract = fc.record({
  type: fc.constantFrom('string', 'integer'),
  unique: fc.boolean(),
  maxNullShare: fc.constantFrom(0, 0.005, 0.05),
  required: fc.boolean(),
});
const scenario = fc.record({
  seed: fc.integer({ min: 1, max: 1000 }),
  format: fc.constantFrom('csv', 'parquet'),
  repeats: rows,
  idNulls: rows,
  amountNulls: rows,
  id: idContract,
  regionAllowed: fc.option(fc.subarray(['north', 'south', 'east', 'west', 'elsewhere'], { minLength: 1 }), { nil: undefined }),
  amountMin: fc.option(fc.constantFrom(0, 10, 50), { nil: undefined }),
  missingColumn: fc.boolean(),
  // Kinds a previous version recorded: as in the file, or one changed (region was numeric then).
  kinds: fc.constantFrom('none', 'same', 'changed'),
});

describe('checkDataContractOnFile', () => {
  it('reports exactly what the checks over the whole table report', async () => {
    let file = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const table = dataset(s.seed, s.repeats, s.idNulls, s.amountNulls);
        const out = path.join(directory.path, `data-${file++}.${s.format}`);
        await writeDataset(table, out, { format: s.format });
        const contract = DataContract.parse({
          minRows: 100,
          columns: {
            transaction_id: s.id,
            amount: { type: 'number', maxNullShare: 0.01, ...(s.amountMin !== undefined && { min: s.amountMin }) },
            region: { type: 'string', ...(s.regionAllowed && { allowed: s.regionAllowed }) },
            is_fraud: { type: 'integer', allowed: [0, 1] },
            ...(s.missingColumn && { not_in_file: { type: 'number' } }),
          },
        });
        const expectedKinds: ExpectedFeatureKinds | undefined =
          s.kinds === 'none'
            ? undefined
            : {
                recordedBy: 'v1 (the champion)',
                features: [
                  { name: 'amount', kind: 'numeric' },
                  { name: 'merchant_category', kind: 'categorical' },
                  { name: 'device_type', kind: s.kinds === 'changed' ? 'numeric' : 'categorical' },
                  { name: 'session_duration_sec', kind: 'numeric' },
                ],
              };

        const whole = await loadDataset(out);
        const expected = checkDataContract(whole, contract);
        if (expectedKinds) {
          const pinned = new Set(Object.keys(contract.columns));
          const kinds = checkFeatureKinds(whole, expectedKinds, pinned);
          expected.checks.push(...kinds);
          expected.passed &&= kinds.every((check) => check.passed);
        }
        const actual = await checkDataContractOnFile(out, contract, { format: s.format, ...(expectedKinds && { expectedKinds }) });
        expect(actual).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it('answers a failing id check with its example rows, as the full check does', async () => {
    const out = path.join(directory.path, 'repeated-ids.parquet');
    await writeDataset(dataset(7, [10, 20, 30], [40], []), out, { format: 'parquet' });
    const report = await checkDataContractOnFile(out, DataContract.parse({ columns: { transaction_id: { type: 'string', unique: true } } }));
    expect(report.checks.find((check) => check.check === 'unique')).toMatchObject({ passed: false, failingRows: 3, exampleRows: [11, 21, 31] });
    expect(report.checks.find((check) => check.check === 'null_share')).toMatchObject({ passed: false, failingRows: 1, exampleRows: [41] });
  });
});
