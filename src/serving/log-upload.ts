/**
 * The gateway's logs in the object store: every Parquet file a log writes (predictions, labels,
 * KPIs, shadow predictions) is uploaded under the same relative key it has below the data
 * directory, e.g. `logs/predictions/model=m/date=2026-12-04/hour=06/<ms>-<writer id>-<n>.parquet`.
 * File names carry the writer id, so replicas uploading to one prefix never collide, and a
 * reader on any host lists a window's hours by prefix. Uploads run off the request path, one at
 * a time; a failed one is retried with backoff and counted, never dropped while the process runs.
 * A process killed with uploads pending leaves its files on disk, not in the store: at the next
 * start `resume` compares the recent hours of each log with the store and queues what is missing.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobStore } from '../storage/blob-store.js';

/** Where logs go inside the store: the same relative layout as under `<dataDir>`. */
export const LOG_PREFIX = 'logs';

const HOUR_MS = 3_600_000;

export interface LogUploadCounters {
  uploaded: number;
  /** Files found at start that a previous process wrote and the store lacks (resume). */
  resumed: number;
  pending: number;
  failedAttempts: number;
}

export class LogUploader {
  private readonly queue: string[] = [];
  private running: Promise<void> | undefined;
  readonly counters: LogUploadCounters = { uploaded: 0, resumed: 0, pending: 0, failedAttempts: 0 };

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

  /**
   * Queues every file of the logs' hour partitions from `sinceMs` on (`<log>/model=/date=/hour=/`
   * below the data directory) that the store lacks or holds with another size. One list per hour
   * partition; temporary dot-files of an interrupted write are not logs and are skipped.
   */
  async resume(logDirectories: readonly string[], sinceMs: number): Promise<{ partitions: number; queued: number }> {
    let partitions = 0;
    let queued = 0;
    for (const log of logDirectories) {
      for (const hourDirectory of await recentHourPartitions(path.join(this.dataDir, log), sinceMs)) {
        partitions++;
        const files = (await readdir(hourDirectory, { withFileTypes: true })).filter((e) => e.isFile() && !e.name.startsWith('.') && e.name.endsWith('.parquet'));
        if (files.length === 0) continue;
        const stored = new Map((await this.store.list(`${logKey(this.dataDir, hourDirectory)}/`)).map((info) => [info.key, info.size]));
        for (const entry of files) {
          const file = path.join(hourDirectory, entry.name);
          const { size } = await stat(file);
          if (stored.get(logKey(this.dataDir, file)) === size) continue;
          this.enqueue(file);
          this.counters.resumed++;
          queued++;
        }
      }
    }
    return { partitions, queued };
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

/** The `<root>/model=<m>/date=YYYY-MM-DD/hour=HH` directories whose hour ends after `sinceMs`. */
async function recentHourPartitions(root: string, sinceMs: number): Promise<string[]> {
  const found: string[] = [];
  const subdirectories = async (directory: string, prefix: string) =>
    (await readdir(directory, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory() && e.name.startsWith(prefix)).map((e) => e.name);
  for (const model of await subdirectories(root, 'model=')) {
    for (const date of await subdirectories(path.join(root, model), 'date=')) {
      for (const hour of await subdirectories(path.join(root, model, date), 'hour=')) {
        const start = Date.parse(`${date.slice(5)}T${hour.slice(5)}:00:00Z`);
        if (Number.isFinite(start) && start + HOUR_MS > sinceMs) found.push(path.join(root, model, date, hour));
      }
    }
  }
  return found;
}
