/**
 * An append-only, partitioned Parquet log fed from the request path: `append` only pushes to
 * an in-memory buffer; a timer (or a full buffer) starts a flush that writes one new file per
 * partition, off the request path and one flush at a time.
 *
 * Memory is bounded by `maxBufferedRows`: when writing falls behind, the oldest buffered rows
 * are dropped and counted (`droppedRows`), because a serving gateway must never slow down or
 * fall over for the sake of its log. A failed flush puts its rows back at the front, under the
 * same bound, and retries on the next tick.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ParquetBatchWriter, type ParquetColumn } from './prediction-log-parquet.js';

export interface LogBufferLimits {
  /** Flush at least this often (default 1000 ms). */
  flushIntervalMs?: number;
  /** Flush as soon as this many rows wait (default 10 000). */
  flushRows?: number;
  /** Drop the oldest rows beyond this many (default 10 × flushRows). */
  maxBufferedRows?: number;
}

export interface PartitionedLogOptions<T> extends LogBufferLimits {
  /** Directory holding the partitions, e.g. `<dataDir>/predictions`. */
  root: string;
  /** Relative directory of the record's partition, e.g. `model=m/date=2024-05-01/hour=07`. */
  partitionOf(record: T): string;
  /** The Parquet columns for a batch of records of one partition. */
  columnsOf(records: readonly T[]): ParquetColumn[];
  now?: () => number;
  onError?: (error: unknown) => void;
  /** Called after each flush that had rows (for benchmarks and monitoring). */
  onFlush?: (flush: { rows: number; files: number; ms: number }) => void;
  /** Called with each Parquet file once it is complete on disk (the object-store upload hooks here). */
  onFile?: (file: string) => void;
}

export interface LogCounters {
  bufferedRows: number;
  droppedRows: number;
  writtenRows: number;
  filesWritten: number;
  failedFlushes: number;
  lastFlushMs: number | null;
}

export class PartitionedParquetLog<T> {
  private buffer: (T | undefined)[] = [];
  /** Index of the oldest live row in `buffer` (rows before it were flushed away or dropped). */
  private head = 0;
  private lastFlush: Promise<void> = Promise.resolve();
  private queuedFlushes = 0;
  private fileSequence = 0;
  /** Random per log instance: two processes flushing in the same millisecond never pick one name. */
  private readonly writerId = randomBytes(4).toString('hex');
  private closed = false;
  private readonly writer = new ParquetBatchWriter();
  private readonly timer: NodeJS.Timeout;
  private readonly flushRows: number;
  private readonly maxBufferedRows: number;
  private readonly counters: LogCounters = { bufferedRows: 0, droppedRows: 0, writtenRows: 0, filesWritten: 0, failedFlushes: 0, lastFlushMs: null };

  constructor(private readonly options: PartitionedLogOptions<T>) {
    this.flushRows = options.flushRows ?? 10_000;
    this.maxBufferedRows = Math.max(this.flushRows, options.maxBufferedRows ?? 10 * this.flushRows);
    this.timer = setInterval(() => this.flushSoon(), options.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Opens the writer now rather than at the first flush, which would then stall serving. */
  open(): Promise<void> {
    return this.writer.open();
  }

  /** O(1), never blocks: the row is written by a later flush. */
  append(record: T): void {
    if (this.closed) return;
    this.buffer.push(record);
    if (this.buffer.length - this.head > this.maxBufferedRows) {
      this.buffer[this.head++] = undefined;
      this.counters.droppedRows++;
      // Writing is stuck; keep the array itself bounded too.
      if (this.head >= this.maxBufferedRows) {
        this.buffer = this.buffer.slice(this.head);
        this.head = 0;
      }
    }
    if (this.buffer.length - this.head === this.flushRows) setImmediate(() => this.flushSoon());
  }

  get stats(): LogCounters {
    return { ...this.counters, bufferedRows: this.buffer.length - this.head };
  }

  /** Writes every row appended before the call; resolves when they are on disk (or the write failed). */
  flush(): Promise<void> {
    this.queuedFlushes++;
    const run = this.lastFlush.then(() => {
      this.queuedFlushes--;
      return this.writeBuffered();
    });
    this.lastFlush = run;
    return run;
  }

  /** Stops the timer, writes what is left and releases DuckDB. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.flush();
    await this.writer.close();
  }

  /** A flush that has not started yet will take every row, so one queued is enough. */
  private flushSoon(): void {
    if (this.queuedFlushes === 0) void this.flush();
  }

  /** Never rejects: a rejected link would stop every later flush in the chain. */
  private async writeBuffered(): Promise<void> {
    const batch = (this.head === 0 ? this.buffer : this.buffer.slice(this.head)) as T[];
    this.buffer = [];
    this.head = 0;
    if (batch.length === 0) return;
    const started = performance.now();
    let partitions = new Map<string, T[]>();
    try {
      partitions = this.byPartition(batch);
    } catch (error) {
      this.options.onError?.(error);
    }
    const stamp = Math.floor((this.options.now ?? Date.now)());
    for (const [partition, rows] of partitions) {
      // The writer id keeps files of gateway replicas sharing one log directory (or one bucket) apart.
      const file = path.join(this.options.root, partition, `${stamp}-${this.writerId}-${++this.fileSequence}.parquet`);
      try {
        await this.writer.write(file, this.options.columnsOf(rows));
        this.counters.writtenRows += rows.length;
        this.counters.filesWritten++;
        this.options.onFile?.(file);
      } catch (error) {
        this.counters.failedFlushes++;
        this.requeue(rows);
        this.options.onError?.(error);
      }
    }
    this.counters.lastFlushMs = performance.now() - started;
    this.options.onFlush?.({ rows: batch.length, files: partitions.size, ms: this.counters.lastFlushMs });
  }

  private byPartition(batch: T[]): Map<string, T[]> {
    const partitions = new Map<string, T[]>();
    for (const record of batch) {
      const key = this.options.partitionOf(record);
      let rows = partitions.get(key);
      if (!rows) partitions.set(key, (rows = []));
      rows.push(record);
    }
    return partitions;
  }

  private requeue(rows: T[]): void {
    const live = this.buffer.slice(this.head) as T[];
    const merged = [...rows, ...live];
    const excess = Math.max(0, merged.length - this.maxBufferedRows);
    this.counters.droppedRows += excess;
    this.buffer = merged.slice(excess);
    this.head = 0;
  }
}

/** A typed log over one PartitionedParquetLog: its lifecycle and counters, delegated (the label and KPI logs). */
export class RecordLog<T> {
  constructor(private readonly log: PartitionedParquetLog<T>) {}

  open(): Promise<void> {
    return this.log.open();
  }

  append(record: T): void {
    this.log.append(record);
  }

  get stats(): LogCounters {
    return this.log.stats;
  }

  flush(): Promise<void> {
    return this.log.flush();
  }

  close(): Promise<void> {
    return this.log.close();
  }
}
