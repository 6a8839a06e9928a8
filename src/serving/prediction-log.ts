/**
 * The prediction log: one row per predicted row of every inference request through the gateway,
 * append-only Parquet (zstd), written off the request path.
 *
 * Layout (hive partitions, all times UTC):
 *   <dataDir>/predictions/model=<model>/date=<YYYY-MM-DD>/hour=<HH>/<flush epoch ms>-<writer id>-<seq>.parquet
 * Files appear whole (written under a dot-name, then renamed); each flush adds new files, none
 * is ever rewritten.
 *
 * Columns of every file:
 *   request_id  VARCHAR     the x-request-id; a batched request of n > 1 rows logs `<id>#<row>` (row 0..n-1),
 *                           which is also the id its feedback uses
 *   ts          TIMESTAMP   when the gateway received the request (UTC, millisecond precision)
 *   model       VARCHAR     (equal to the `model` hive partition)
 *   version     INTEGER     the version that served it
 *   status      INTEGER     HTTP status answered (502 for a transport failure)
 *   latency_ms  DOUBLE      request received → upstream answer complete
 *   score       DOUBLE      probability of the positive class; NULL on error
 *   error       VARCHAR     the upstream's or the gateway's error message; NULL on success
 *   f_<name>    per feature, named after the OIP input with an `f_` prefix so no feature can clash
 *               with a fixed column. An input of shape [n, k>1] gives k columns f_<name>_0 .. f_<name>_<k-1>.
 *               Type by the first value the gateway saw for that feature of that model:
 *               numbers → DOUBLE, booleans → BOOLEAN, strings → VARCHAR; later values of another
 *               type are converted (true → 1, "3.5" → 3.5, 7 → "7") or NULL when they cannot be.
 * Files of one model may differ in their feature columns (a feature added or absent in that
 * slice), so read with union_by_name, and give the partition types (DuckDB otherwise guesses
 * `hour` as BIGINT or VARCHAR depending on whether an hour like 03 is among the files):
 *   SELECT * FROM read_parquet('<dataDir>/predictions/model=<m>/**\/*.parquet', hive_partitioning = true,
 *     union_by_name = true, hive_types = {'date': DATE, 'hour': INTEGER})
 * Filter a time window on `ts` (partition columns help DuckDB skip files: date/hour are UTC).
 *
 * Memory is bounded: see PartitionedParquetLog (drop-oldest, counted in `stats.droppedRows`).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { PredictionRecord } from './gateway-contract.js';
import { PartitionedParquetLog, RecordLog, type LogBufferLimits, type PartitionedLogOptions } from './prediction-log-buffer.js';
import type { ParquetColumn, ParquetColumnType, ParquetValue } from './prediction-log-parquet.js';
import { readLogRows } from './prediction-log-read.js';

export const FEATURE_COLUMN_PREFIX = 'f_';

type FeatureValue = PredictionRecord['features'][string];

export interface PredictionLogOptions extends LogBufferLimits, Pick<PartitionedLogOptions<PredictionRecord>, 'now' | 'onError' | 'onFlush' | 'onFile'> {
  dataDir: string;
  /** The folder under dataDir: `predictions` (default), or `shadow-predictions` for mirrored requests. */
  directory?: string;
}

/** Where mirrored (shadow) requests are logged, beside `predictions/`, in the same layout. */
export const SHADOW_PREDICTIONS_DIRECTORY = 'shadow-predictions';

export class PredictionLog extends RecordLog<PredictionRecord> {
  constructor(options: PredictionLogOptions) {
    // model → feature → column type, fixed by the first value seen, so the files of a model agree.
    const featureTypes = new Map<string, Map<string, ParquetColumnType>>();
    super(new PartitionedParquetLog<PredictionRecord>({
      ...options,
      root: path.join(options.dataDir, options.directory ?? 'predictions'),
      partitionOf: (record) => hourPartition(record.model, record.timestamp),
      columnsOf: (records) => predictionColumns(records, featureTypes),
    }));
  }
}

function predictionColumns(records: readonly PredictionRecord[], featureTypes: Map<string, Map<string, ParquetColumnType>>): ParquetColumn[] {
  const columns: ParquetColumn[] = [
    { name: 'request_id', type: 'VARCHAR', values: records.map((r) => r.requestId) },
    { name: 'ts', type: 'TIMESTAMP_MS', values: records.map((r) => r.timestamp) },
    { name: 'model', type: 'VARCHAR', values: records.map((r) => r.model) },
    { name: 'version', type: 'INTEGER', values: records.map((r) => r.version) },
    { name: 'status', type: 'INTEGER', values: records.map((r) => r.status) },
    { name: 'latency_ms', type: 'DOUBLE', values: records.map((r) => r.latencyMs) },
    { name: 'score', type: 'DOUBLE', values: records.map((r) => r.score) },
    { name: 'error', type: 'VARCHAR', values: records.map((r) => r.error ?? null) },
  ];
  const model = records[0]?.model ?? '';
  let types = featureTypes.get(model);
  if (!types) featureTypes.set(model, (types = new Map()));
  const names = new Set<string>();
  for (const record of records) for (const name in record.features) names.add(name);
  for (const name of [...names].sort()) {
    const type = types.get(name) ?? firstValueType(records, name);
    if (!type) continue; // only NULLs so far: nothing to type it by, and nothing lost
    types.set(name, type);
    columns.push({ name: FEATURE_COLUMN_PREFIX + name, type, values: records.map((r) => convertFeature(r.features[name] ?? null, type)) });
  }
  return columns;
}

const lastPartition = { model: '', hour: NaN, path: '' };

/** `model=<m>/date=<YYYY-MM-DD>/hour=<HH>` of an epoch-ms time, in UTC. */
/** The start of every hour the window from `fromMs` to `toMs` touches (its partitions, with hourPartition). */
export function windowHours(fromMs: number, toMs: number): number[] {
  const hours: number[] = [];
  for (let hour = Math.floor(fromMs / 3_600_000) * 3_600_000; hour < toMs; hour += 3_600_000) hours.push(hour);
  return hours;
}

export function hourPartition(model: string, epochMs: number): string {
  const hour = Math.floor(epochMs / 3_600_000);
  // A flush asks for the same partition thousands of times in a row; formatting a date is not free.
  if (hour === lastPartition.hour && model === lastPartition.model) return lastPartition.path;
  const iso = new Date(hour * 3_600_000).toISOString();
  Object.assign(lastPartition, { model, hour, path: `model=${model}/date=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}` });
  return lastPartition.path;
}

function firstValueType(records: readonly PredictionRecord[], name: string): ParquetColumnType | undefined {
  for (const record of records) {
    const value = record.features[name];
    if (typeof value === 'number') return 'DOUBLE';
    if (typeof value === 'boolean') return 'BOOLEAN';
    if (typeof value === 'string') return 'VARCHAR';
  }
  return undefined;
}

function convertFeature(value: FeatureValue, type: ParquetColumnType): ParquetValue {
  if (value === null) return null;
  if (type === 'VARCHAR') return String(value);
  if (type === 'BOOLEAN') {
    if (typeof value === 'boolean') return value;
    if (typeof value === 'number') return value !== 0;
    return value === 'true' ? true : value === 'false' ? false : null;
  }
  const number = typeof value === 'boolean' ? Number(value) : typeof value === 'string' && value.trim() === '' ? NaN : Number(value);
  return Number.isFinite(number) ? number : null;
}

/**
 * Reads back the records of one model with `fromMs <= timestamp < toMs`, oldest first (for
 * tests and tools; the drift monitor queries the files directly). NULL features are left out.
 */
export async function readPredictionLog(dataDir: string, model: string, fromMs: number, toMs: number): Promise<PredictionRecord[]> {
  const directory = path.join(dataDir, 'predictions', `model=${model}`);
  if (!(await hasParquetFiles(directory))) return [];
  const rows = await readLogRows(directory, fromMs, toMs, 'ts, request_id');
  return rows.map((row) => {
    const features: PredictionRecord['features'] = {};
    for (const [column, value] of Object.entries(row)) {
      if (column.startsWith(FEATURE_COLUMN_PREFIX) && value !== null) features[column.slice(FEATURE_COLUMN_PREFIX.length)] = value as FeatureValue;
    }
    const record: PredictionRecord = {
      requestId: String(row.request_id),
      timestamp: Number(row.ts_ms),
      model: String(row.model),
      version: Number(row.version),
      status: Number(row.status),
      latencyMs: Number(row.latency_ms),
      score: row.score === null ? null : Number(row.score),
      features,
    };
    if (row.error !== null) record.error = String(row.error);
    return record;
  });
}

export async function hasParquetFiles(directory: string): Promise<boolean> {
  try {
    const entries = await readdir(directory, { recursive: true });
    return entries.some((entry) => entry.endsWith('.parquet') && !path.basename(entry).startsWith('.'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
