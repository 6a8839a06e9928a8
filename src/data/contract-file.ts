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
import type { Table } from './table.js';
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

  const wanted = new Set([...Object.keys(contract.columns).filter((name) => inFile.has(name) && !countable.includes(name)), ...changedKinds]);
  const table = await loadDataset(path, { format: options.format, columns: [...wanted] });
  const counts = countable.length > 0 ? (await countValues(path, countable, { format: options.format })).columns : new Map<string, { nonNull: number; distinct: number }>();

  const check = (loaded: Table, counted: string[], examples = new Map<string, { repeated: number[]; nulls: number[] }>()): ContractReport => {
    const countedColumns = new Map<string, CountedColumn>(counted.map((name) => {
      const found = examples.get(name);
      return [name, { name, sourceType: inFile.get(name)!.sourceType, ...counts.get(name)!, ...(found && { repeatedRows: found.repeated, nullRows: found.nulls }) }];
    }));
    const report = checkDataContract(loaded, contract, countedColumns);
    // The contract names columns absent from the file too: say what the file has, not what was loaded.
    for (const entry of report.checks) {
      if (entry.check === 'column_present' && !entry.passed) entry.detail = entry.detail.replace(/\(the dataset has: [^)]*\)/, `(the dataset has: ${schema.map((column) => column.name).join(', ')})`);
    }
    if (options.expectedKinds) {
      const kinds = checkFeatureKinds(loaded, options.expectedKinds, pinned, unloadedKinds);
      report.checks.push(...kinds);
      report.passed &&= kinds.every((entry) => entry.passed);
    }
    return report;
  };

  const report = check(table, countable);
  const failedCounted = [...new Set(report.checks.filter((entry) => !entry.passed && entry.column !== undefined && countable.includes(entry.column)).map((entry) => entry.column!))];
  if (failedCounted.length === 0) return report;
  // Point at the rows: ask the file for them (Parquet), or load the failing columns and check again (CSV).
  const examples = new Map<string, { repeated: number[]; nulls: number[] }>();
  for (const name of failedCounted) {
    const found = await repeatedAndNullRows(path, name, EXAMPLE_ROWS, { format: options.format });
    if (found) examples.set(name, found);
  }
  const toLoad = failedCounted.filter((name) => !examples.has(name));
  if (toLoad.length === 0) return check(table, countable, examples);
  const extra = await loadDataset(path, { format: options.format, columns: toLoad });
  // Columns in file order, as a whole-file load would have them.
  const columns = [...table.columns, ...extra.columns].sort((x, y) => schema.findIndex((c) => c.name === x.name) - schema.findIndex((c) => c.name === y.name));
  return check({ rowCount: table.rowCount, columns }, countable.filter((name) => !toLoad.includes(name)), examples);
}
