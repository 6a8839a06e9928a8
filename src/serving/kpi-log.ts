/**
 * The KPI log: every business KPI value sent to the feedback API, matched or not, append-only
 * Parquet next to the labels log, one row per value (long form, so a new KPI needs no new column):
 *
 *   <dataDir>/kpis/model=<model>/date=<YYYY-MM-DD>/hour=<HH>/<flush epoch ms>-<writer id>-<seq>.parquet
 *   request_id VARCHAR, ts TIMESTAMP (when the feedback arrived, UTC), kpi VARCHAR, value DOUBLE
 */
import path from 'node:path';
import { PartitionedParquetLog, RecordLog, type LogBufferLimits } from './prediction-log-buffer.js';
import { readLogRows } from './prediction-log-read.js';
import { hasParquetFiles, hourPartition } from './prediction-log.js';

export interface KpiRecord {
  model: string;
  requestId: string;
  /** Epoch ms the feedback arrived. */
  timestamp: number;
  kpi: string;
  value: number;
}

export interface KpiLogOptions extends LogBufferLimits {
  dataDir: string;
  now?: () => number;
  onError?: (error: unknown) => void;
  onFile?: (file: string) => void;
}

export const KPI_LOG_DIRECTORY = 'kpis';

export class KpiLog extends RecordLog<KpiRecord> {
  constructor(options: KpiLogOptions) {
    super(new PartitionedParquetLog<KpiRecord>({
      ...options,
      root: path.join(options.dataDir, KPI_LOG_DIRECTORY),
      partitionOf: (record) => hourPartition(record.model, record.timestamp),
      columnsOf: (records) => [
        { name: 'request_id', type: 'VARCHAR', values: records.map((r) => r.requestId) },
        { name: 'ts', type: 'TIMESTAMP_MS', values: records.map((r) => r.timestamp) },
        { name: 'kpi', type: 'VARCHAR', values: records.map((r) => r.kpi) },
        { name: 'value', type: 'DOUBLE', values: records.map((r) => r.value) },
      ],
    }));
  }
}

/** KPI values of one model that arrived in `fromMs <= ts < toMs`, oldest first (tests and tools). */
export async function readKpiLog(dataDir: string, model: string, fromMs: number, toMs: number): Promise<KpiRecord[]> {
  const directory = path.join(dataDir, KPI_LOG_DIRECTORY, `model=${model}`);
  if (!(await hasParquetFiles(directory))) return [];
  const rows = await readLogRows(directory, fromMs, toMs, 'ts, request_id, kpi');
  return rows.map((row) => ({ model, requestId: String(row.request_id), timestamp: Number(row.ts_ms), kpi: String(row.kpi), value: Number(row.value) }));
}
