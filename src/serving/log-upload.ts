/**
 * The gateway's logs in the object store: every Parquet file a log writes (predictions, labels,
 * KPIs, shadow predictions) is uploaded under the same relative key it has below the data
 * directory, e.g. `logs/predictions/model=m/date=2026-12-04/hour=06/<ms>-<writer id>-<n>.parquet`.
 * File names carry the writer id, so replicas uploading to one prefix never collide, and a
 * reader on any host lists a window's hours by prefix. Uploads run off the request path, one at
 * a time; a failed one is retried with backoff and counted, never dropped while the process runs.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobStore } from '../storage/blob-store.js';

/** Where logs go inside the store: the same relative layout as under `<dataDir>`. */
export const LOG_PREFIX = 'logs';

export interface LogUploadCounters {
  uploaded: number;
  pending: number;
  failedAttempts: number;
}

export class LogUploader {
  private readonly queue: string[] = [];
  private running: Promise<void> | undefined;
  readonly counters: LogUploadCounters = { uploaded: 0, pending: 0, failedAttempts: 0 };

  constructor(private readonly store: BlobStore, private readonly dataDir: string, private readonly onError: (error: unknown) => void = () => undefined) {}

  /** Queues a file written below the data directory. */
  enqueue(file: string): void {
    this.queue.push(file);
    this.counters.pending = this.queue.length;
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves when everything queued so far is uploaded (or `timeoutMs` passed). */
  async settle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.running || this.queue.length > 0) && Date.now() < deadline) await sleep(20);
  }

  private async drain(): Promise<void> {
    let failures = 0;
    while (this.queue.length > 0) {
      const file = this.queue[0]!;
      try {
        await this.store.put(logKey(this.dataDir, file), { path: file });
        this.queue.shift();
        this.counters.uploaded++;
        this.counters.pending = this.queue.length;
        failures = 0;
      } catch (error) {
        this.counters.failedAttempts++;
        this.onError(new Error(`uploading ${file} to ${this.store.url}: ${(error as Error).message}`));
        await sleep(Math.min(30_000, 250 * 2 ** Math.min(failures++, 7)));
      }
    }
  }
}

export function logKey(dataDir: string, file: string): string {
  return [LOG_PREFIX, ...path.relative(dataDir, file).split(path.sep)].join('/');
}
