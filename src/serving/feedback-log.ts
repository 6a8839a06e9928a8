/**
 * The labels log: every label sent to the feedback API, matched or not, append-only Parquet
 * next to the prediction log, so a label joins its prediction on `request_id`.
 *
 *   <dataDir>/labels/model=<model>/date=<YYYY-MM-DD>/hour=<HH>/<flush epoch ms>-<writer id>-<seq>.parquet
 *   request_id VARCHAR, ts TIMESTAMP (when the label arrived, UTC), label INTEGER (0 | 1)
 */
import path from 'node:path';
import { PartitionedParquetLog, RecordLog, type LogBufferLimits } from './prediction-log-buffer.js';
import { readLogRows } from './prediction-log-read.js';
import { hasParquetFiles, hourPartition } from './prediction-log.js';

export interface LabelRecord {
  model: string;
  requestId: string;
  /** Epoch ms the label arrived. */
  timestamp: number;
  label: 0 | 1;
}

export interface LabelLogOptions extends LogBufferLimits {
  dataDir: string;
  now?: () => number;
  onError?: (error: unknown) => void;
  onFile?: (file: string) => void;
}

export class LabelLog extends RecordLog<LabelRecord> {
  constructor(options: LabelLogOptions) {
    super(new PartitionedParquetLog<LabelRecord>({
      ...options,
      root: path.join(options.dataDir, 'labels'),
      partitionOf: (record) => hourPartition(record.model, record.timestamp),
      columnsOf: (records) => [
        { name: 'request_id', type: 'VARCHAR', values: records.map((r) => r.requestId) },
        { name: 'ts', type: 'TIMESTAMP_MS', values: records.map((r) => r.timestamp) },
        { name: 'label', type: 'INTEGER', values: records.map((r) => r.label) },
      ],
    }));
  }
}

/** Labels of one model that arrived in `fromMs <= ts < toMs`, oldest first (tests and tools). */
export async function readLabelLog(dataDir: string, model: string, fromMs: number, toMs: number): Promise<LabelRecord[]> {
  const directory = path.join(dataDir, 'labels', `model=${model}`);
  if (!(await hasParquetFiles(directory))) return [];
  const rows = await readLogRows(directory, fromMs, toMs, 'ts, request_id');
  return rows.map((row) => ({ model, requestId: String(row.request_id), timestamp: Number(row.ts_ms), label: Number(row.label) === 1 ? 1 : 0 }));
}
