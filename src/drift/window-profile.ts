/**
 * The profile of a window of the prediction log, read from the gateway's Parquet files with
 * DuckDB (layout and columns: src/serving/prediction-log.ts). The work happens in native code
 * and the memory held is bounded by the profile, not by the rows:
 * - numeric columns are read whole, one column at a time, and profiled exactly like the reference
 *   (exact moments, min/max, value counts and quantiles; every value up to `sampleSize`);
 *   the numbers depend only on the window's values, never on scan order or thread count. (Before,
 *   windows over 100k rows used DuckDB's reservoir_quantile, which in practice kept the first rows
 *   scanned: a day's report described its morning, differently on each run.)
 * - categorical columns are exact value counts (the top `maxCategories`, the rest as "other").
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import path from 'node:path';
import { withDuckDB, type DuckDBOptions } from '../data/duckdb-connection.js';
import { copyResultInto } from '../data/duckdb-typed-arrays.js';
import { quoteIdentifier, quoteString } from '../data/sql-literals.js';
import type { Table } from '../data/table.js';
import { FEATURE_COLUMN_PREFIX, hasParquetFiles } from '../serving/prediction-log.js';
import { categoricalProfileFromCounts } from './categorical-column-profile.js';
import { numericProfileFromFinite, numericProfileFromValues } from './numeric-column-profile.js';
import {
  PROFILE_FORMAT, resolveProfileOptions,
  type ColumnProfile, type DriftProfile, type FeatureKind, type FeatureSpec, type NumericColumnProfile, type ProfileOptions, type ProfileSource,
} from './profile.js';
import { profileFromTable as profileOfTable } from './reference-profile.js';

/** A Table's profile, for tests and benchmarks (the same code as the reference's). */
export function profileFromTable(table: Table, features: readonly string[], options: Partial<ProfileOptions> = {}): DriftProfile {
  return profileOfTable(table, features, options);
}

interface LogColumn {
  feature: string;
  kind: FeatureKind;
  /** The column in the files, or undefined when no file of the window has it. */
  column?: string;
  sourceType?: string;
}

/**
 * The profile of `features` over the records with fromMs ≤ timestamp < toMs. A feature given
 * by name alone takes its kind from the files (VARCHAR → categorical, anything else numeric);
 * pass FeatureSpecs (e.g. `reference.features`) to read each as the reference has it.
 */
export async function profileFromPredictionLog(
  dataDir: string,
  model: string,
  fromMs: number,
  toMs: number,
  features: readonly (string | FeatureSpec)[],
  options: Partial<ProfileOptions> = {},
  engine: DuckDBOptions = {},
): Promise<DriftProfile> {
  const resolved = resolveProfileOptions(options);
  const source: ProfileSource = { kind: 'prediction-log', model, from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() };
  const directory = path.join(dataDir, 'predictions', `model=${model}`);
  const specs = features.map((feature) => (typeof feature === 'string' ? { name: feature, kind: undefined } : feature));
  if (!(await hasParquetFiles(directory))) {
    return profileOf(0, specs.map((spec) => emptyColumn(spec.name, spec.kind ?? 'numeric', 0, resolved)), resolved, source);
  }
  return withDuckDB(async (connection) => {
    await connection.run(`CREATE TEMP VIEW window_rows AS SELECT * FROM ${logSource(directory)} WHERE ${windowFilter(fromMs, toMs)}`);
    const available = await describeColumns(connection);
    const columns: LogColumn[] = specs.map((spec) => {
      const column = FEATURE_COLUMN_PREFIX + spec.name;
      const sourceType = available.get(column);
      const kind = spec.kind ?? (sourceType === 'VARCHAR' ? 'categorical' : 'numeric');
      return sourceType === undefined ? { feature: spec.name, kind } : { feature: spec.name, kind, column, sourceType };
    });
    const rows = await scalar(connection, 'SELECT count(*) FROM window_rows');
    const profiles = new Map<string, ColumnProfile>();
    for (const column of columns.filter((c) => c.column === undefined)) profiles.set(column.feature, emptyColumn(column.feature, column.kind, rows, resolved));
    const present = columns.filter((c) => c.column !== undefined);
    const numeric = present.filter((c) => c.kind === 'numeric');
    const numericProfiles = await readNumericExactly(connection, numeric, rows, resolved);
    for (const profile of numericProfiles) profiles.set(profile.name, profile);
    for (const column of present.filter((c) => c.kind === 'categorical')) profiles.set(column.feature, await categoricalColumn(connection, column, rows, resolved));
    return profileOf(rows, specs.map((spec) => profiles.get(spec.name)!), resolved, source);
  }, engine);
}

function profileOf(rows: number, features: ColumnProfile[], options: ProfileOptions, source: ProfileSource): DriftProfile {
  return { format: PROFILE_FORMAT, createdAt: new Date().toISOString(), rows, options, source, features };
}

function logSource(directory: string): string {
  const files = quoteString(`${directory}/**/*.parquet`);
  return `read_parquet(${files}, hive_partitioning = true, union_by_name = true, hive_types = {'date': DATE, 'hour': INTEGER})`;
}

/** The window on `ts`, plus the date partitions it touches so DuckDB skips the other files. */
function windowFilter(fromMs: number, toMs: number): string {
  const from = Math.floor(fromMs);
  const to = Math.ceil(toMs);
  const firstDate = new Date(from).toISOString().slice(0, 10);
  const lastDate = new Date(Math.max(from, to - 1)).toISOString().slice(0, 10);
  return `ts >= epoch_ms(${from}::BIGINT) AND ts < epoch_ms(${to}::BIGINT) AND date >= DATE '${firstDate}' AND date <= DATE '${lastDate}'`;
}

async function describeColumns(connection: DuckDBConnection): Promise<Map<string, string>> {
  const reader = await connection.runAndReadAll('DESCRIBE SELECT * FROM window_rows');
  return new Map(reader.getRowObjectsJS().map((row) => [String(row['column_name']), String(row['column_type'])]));
}

async function scalar(connection: DuckDBConnection, sql: string): Promise<number> {
  const reader = await connection.runAndReadAll(sql);
  return Number(reader.getRows()[0]![0]);
}

/** The column as DOUBLE: booleans as 0/1, text parsed where it is a number, else NULL. */
function asDouble(column: LogColumn): string {
  const name = quoteIdentifier(column.column!);
  return column.sourceType === 'DOUBLE' ? name : `TRY_CAST(${name} AS DOUBLE)`;
}

function emptyColumn(name: string, kind: FeatureKind, rows: number, options: ProfileOptions): ColumnProfile {
  if (kind === 'categorical') return categoricalProfileFromCounts(name, rows, new Map(), options);
  return numericProfileFromValues(name, new Float64Array(rows).fill(Number.NaN), options);
}

/**
 * Every finite value of each numeric column, one column at a time (memory: a column of doubles in
 * DuckDB's result and in ours), profiled exactly like a Table column. DuckDB reads the next
 * column on its threads while this one is profiled. The profile depends only on the values,
 * never on the order DuckDB's threads or the files deliver them in.
 */
async function readNumericExactly(connection: DuckDBConnection, columns: LogColumn[], rows: number, options: ProfileOptions): Promise<NumericColumnProfile[]> {
  const read = (column: LogColumn) => {
    const value = asDouble(column);
    return connection.run(`SELECT ${value} FROM window_rows WHERE isfinite(${value})`);
  };
  const profiles: NumericColumnProfile[] = [];
  let pending = columns.length > 0 ? read(columns[0]!) : undefined;
  try {
    for (let index = 0; index < columns.length; index++) {
      const result = await pending!;
      pending = index + 1 < columns.length ? read(columns[index + 1]!) : undefined;
      const finite = new Float64Array(result.rowCount);
      copyResultInto(result, [finite]);
      profiles.push(numericProfileFromFinite(columns[index]!.feature, rows, finite, options));
    }
    return profiles;
  } finally {
    // A failure above must not leave the read ahead as an unhandled rejection.
    pending?.catch(() => undefined);
  }
}

async function categoricalColumn(connection: DuckDBConnection, column: LogColumn, rows: number, options: ProfileOptions): Promise<ColumnProfile> {
  const name = quoteIdentifier(column.column!);
  const value = column.sourceType === 'VARCHAR' ? name : `CAST(${name} AS VARCHAR)`;
  const total = await scalar(connection, `SELECT count(${name}) FROM window_rows`);
  const reader = await connection.runAndReadAll(
    `SELECT ${value} AS v, count(*) AS n FROM window_rows WHERE ${name} IS NOT NULL GROUP BY v ORDER BY n DESC, v LIMIT ${options.maxCategories}`,
  );
  const counts = new Map<string, number>(reader.getRowsJS().map((row) => [String(row[0]), Number(row[1])]));
  const kept = [...counts.values()].reduce((sum, n) => sum + n, 0);
  return categoricalProfileFromCounts(column.feature, rows, counts, options, { otherCount: total - kept, truncated: total > kept });
}
