/**
 * The two logs the performance check joins, read with DuckDB and only the columns it needs:
 * - predictions (src/serving/prediction-log.ts): request_id, ts, version, score, and the logged
 *   sensitive attribute `f_<attribute>` when the definition has a fairness gate;
 * - labels (src/serving/feedback-log.ts, written by `POST /v2/models/{name}/feedback`):
 *   request_id, ts (when the label arrived), label.
 * Both are hive-partitioned by UTC date and hour of `ts`, so the date filter lets DuckDB skip
 * the files of other days. A model that has logged nothing yet reads as empty.
 */
import path from 'node:path';
import { withDuckDB } from '../data/duckdb-connection.js';
import { quoteIdentifier, quoteString } from '../data/sql-literals.js';
import type { LabelRecord } from '../serving/feedback-log.js';
import { FEATURE_COLUMN_PREFIX, hasParquetFiles } from '../serving/prediction-log.js';
import type { JoinableLabel, JoinablePrediction } from './label-join.js';

export type LoggedPrediction = JoinablePrediction & { features: Record<string, string | number | boolean | null> };

export async function readPredictionsForPerformance(dataDir: string, model: string, fromMs: number, toMs: number, attribute?: string): Promise<LoggedPrediction[]> {
  const directory = path.join(dataDir, 'predictions', `model=${model}`);
  if (!(await hasParquetFiles(directory))) return [];
  return withDuckDB(async (connection) => {
    const source = `${logSource(directory)} WHERE ${timeFilter(fromMs, toMs)}`;
    const columns = new Set((await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRowObjectsJS().map((row) => String(row['column_name'])));
    const attributeColumn = attribute !== undefined && columns.has(FEATURE_COLUMN_PREFIX + attribute) ? quoteIdentifier(FEATURE_COLUMN_PREFIX + attribute) : 'NULL';
    const reader = await connection.runAndReadAll(`SELECT request_id, epoch_ms(ts) AS ts_ms, version, score, ${attributeColumn} AS attribute FROM ${source} ORDER BY ts, request_id`);
    return reader.getRowsJS().map(([requestId, ts, version, score, value]) => ({
      requestId: String(requestId),
      timestamp: Number(ts),
      version: Number(version),
      score: score === null ? null : Number(score),
      features: attribute === undefined ? {} : { [attribute]: value === null || value === undefined ? null : (typeof value === 'bigint' ? Number(value) : (value as string | number | boolean)) },
    }));
  });
}

export async function readLabelsForPerformance(dataDir: string, model: string, fromMs: number, toMs: number): Promise<JoinableLabel[]> {
  const directory = path.join(dataDir, 'labels', `model=${model}`);
  if (!(await hasParquetFiles(directory))) return [];
  return withDuckDB(async (connection) => {
    const reader = await connection.runAndReadAll(`SELECT request_id, epoch_ms(ts) AS ts_ms, label FROM ${logSource(directory)} WHERE ${timeFilter(fromMs, toMs)} ORDER BY ts, request_id`);
    return reader.getRowsJS().map(([requestId, ts, label]): JoinableLabel => ({ requestId: String(requestId), timestamp: Number(ts), label: (Number(label) === 1 ? 1 : 0) as LabelRecord['label'] }));
  });
}

function logSource(directory: string): string {
  return `read_parquet(${quoteString(`${directory}/**/*.parquet`)}, hive_partitioning = true, union_by_name = true, hive_types = {'date': DATE, 'hour': INTEGER})`;
}

function timeFilter(fromMs: number, toMs: number): string {
  const from = Math.floor(fromMs);
  const to = Math.ceil(toMs);
  const firstDate = new Date(from).toISOString().slice(0, 10);
  const lastDate = new Date(Math.max(from, to - 1)).toISOString().slice(0, 10);
  return `ts >= epoch_ms(${from}::BIGINT) AND ts < epoch_ms(${to}::BIGINT) AND date >= DATE '${firstDate}' AND date <= DATE '${lastDate}'`;
}
