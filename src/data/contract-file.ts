/**
 * The data contract checked against a file, reading no more of it than the checks need: only the
 * contract's columns (and features whose kind the file's schema contradicts) are loaded, and a
 * string column whose checks are type, null share and uniqueness (an id) is answered by one
 * DuckDB aggregate over the file instead of copying a million distinct strings into JS. When a
 * counted column fails, its first repeated and null rows are asked of the file (Parquet), or it
 * is loaded and checked again (CSV), so the report points at rows as always.
 * The report equals checkDataContract's on the whole table (test/unit/data/contract-file.test.ts).
 */
import type { FeatureKind } from '../drift/profile.js';
import type { DataContract } from '../spec/schema.js';
import { checkDataContract, type ContractReport, type CountedColumn } from './contract.js';
import type { DatasetFormat } from './dataset-format.js';
import { checkFeatureKinds, type ExpectedFeatureKinds } from './feature-kinds.js';
import { countValues, describeDataset, loadDataset, repeatedAndNullRows } from './load-dataset.js';

/** As many example rows as the checks over values show. */
const EXAMPLE_ROWS = 5;

export async function checkDataContractOnFile(
  path: string,
  contract: DataContract,
  options: { format?: DatasetFormat; expectedKinds?: ExpectedFeatureKinds } = {},
): Promise<ContractReport> {
  const schema = await describeDataset(path, { format: options.format });
  const inFile = new Map(schema.map((column) => [column.name, column]));
  const countable = Object.entries(contract.columns)
    .filter(([name, column]) => inFile.get(name)?.kind === 'categorical' && column.type === 'string' && !column.allowed && column.min === undefined && column.max === undefined)
    .map(([name]) => name);

  // Features the previous version had, unless pinned: loaded only where the schema says their kind changed.
  const pinned = new Set(Object.entries(contract.columns).filter(([, column]) => column.type !== undefined).map(([name]) => name));
  const unloadedKinds = new Map<string, FeatureKind>();
  const changedKinds: string[] = [];
  for (const feature of options.expectedKinds?.features ?? []) {
    const column = inFile.get(feature.name);
    if (!column || pinned.has(feature.name)) continue;
    if (column.kind === feature.kind) unloadedKinds.set(feature.name, column.kind);
    else changedKinds.push(feature.name);
  }

  const run = async (counted: string[], examples = new Map<string, { repeated: number[]; nulls: number[] }>()): Promise<ContractReport> => {
    const countedSet = new Set(counted);
    const wanted = new Set([...Object.keys(contract.columns).filter((name) => inFile.has(name) && !countedSet.has(name)), ...changedKinds]);
    const table = await loadDataset(path, { format: options.format, columns: [...wanted] });
    const counts = counted.length > 0 ? await countValues(path, counted, { format: options.format }) : undefined;
    const countedColumns = new Map<string, CountedColumn>(counted.map((name) => {
      const found = examples.get(name);
      return [name, { name, sourceType: inFile.get(name)!.sourceType, ...counts!.columns.get(name)!, ...(found && { repeatedRows: found.repeated, nullRows: found.nulls }) }];
    }));
    // The contract names columns absent from the file too: say what the file has, not what was loaded.
    const report = checkDataContract(table, contract, countedColumns);
    for (const check of report.checks) {
      if (check.check === 'column_present' && !check.passed) check.detail = check.detail.replace(/\(the dataset has: [^)]*\)/, `(the dataset has: ${schema.map((column) => column.name).join(', ')})`);
    }
    if (options.expectedKinds) {
      const kinds = checkFeatureKinds(table, options.expectedKinds, pinned, unloadedKinds);
      report.checks.push(...kinds);
      report.passed &&= kinds.every((check) => check.passed);
    }
    return report;
  };

  const report = await run(countable);
  const failedCounted = [...new Set(report.checks.filter((check) => !check.passed && check.column !== undefined && countable.includes(check.column)).map((check) => check.column!))];
  if (failedCounted.length === 0) return report;
  // Point at the rows: ask the file for them (Parquet), or load the failing columns and check again.
  const examples = new Map<string, { repeated: number[]; nulls: number[] }>();
  for (const name of failedCounted) {
    const found = await repeatedAndNullRows(path, name, EXAMPLE_ROWS, { format: options.format });
    if (found) examples.set(name, found);
  }
  return run(countable.filter((name) => !failedCounted.includes(name) || examples.has(name)), examples);
}
