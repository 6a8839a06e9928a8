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
import { hourPartition, windowHours } from './prediction-log.js';

/** Where logs go inside the store: the same relative layout as under `<dataDir>`. */
export const LOG_PREFIX = 'logs';

export interface LogUploadCounters {
  uploaded: number;
  /** Files found at start that a previous process wrote and the store lacks (resume). */
  resumed: number;
  pending: number;
  failedAttempts: number;
  /** Queued files gone from the disk before they were uploaded (removed by hand): dropped, not retried. */
  vanished: number;
}

export class LogUploader {
  /** Files this process writes go first: drift and KPI checks read the latest hours. */
  private readonly live: string[] = [];
  /** A predecessor's files found at start, uploaded whenever nothing live waits. */
  private readonly backlog: string[] = [];
  private running: Promise<void> | undefined;
  readonly counters: LogUploadCounters = { uploaded: 0, resumed: 0, pending: 0, failedAttempts: 0, vanished: 0 };

  constructor(private readonly store: BlobStore, private readonly dataDir: string, private readonly onError: (error: unknown) => void = () => undefined) {}

  /** Queues a file written below the data directory. */
  enqueue(file: string, queue: 'live' | 'backlog' = 'live'): void {
    (queue === 'live' ? this.live : this.backlog).push(file);
    this.counters.pending = this.live.length + this.backlog.length;
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves when everything queued so far is uploaded (or `timeoutMs` passed). */
  async settle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.running || this.counters.pending > 0) && Date.now() < deadline) await sleep(20);
  }

  /**
   * Queues every file of the logs' hour partitions from `sinceMs` on (`<log>/model=/date=/hour=/`
   * below the data directory) written before `startedAtMs` (file names start with their flush
   * time; later ones are this process's own) that the store lacks or holds with another size.
   * One list per hour partition, retried while the store is down (`listAttempts`, backing off up
   * to 30 s); a partition it still cannot list has all its files queued, as uploading one again
   * is harmless. Dot-files of interrupted writes are skipped.
   */
  async resume(logDirectories: readonly string[], sinceMs: number, startedAtMs = Date.now(), listAttempts = 8): Promise<{ partitions: number; queued: number }> {
    let partitions = 0;
    let queued = 0;
    for (const log of logDirectories) {
      for (const hourDirectory of await hourPartitionsOfEveryModel(path.join(this.dataDir, log), sinceMs, startedAtMs)) {
        const entries = await readdir(hourDirectory, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') this.onError(new Error(`resuming uploads of ${hourDirectory}: ${error.message}`));
          return undefined;
        });
        if (!entries) continue;
        partitions++;
        const names = entries.filter((e) => e.isFile() && !e.name.startsWith('.') && e.name.endsWith('.parquet') && !(Number(e.name.split('-')[0]) >= startedAtMs)).map((e) => e.name);
        if (names.length === 0) continue;
        const stored = await this.listWithRetries(`${logKey(this.dataDir, hourDirectory)}/`, listAttempts);
        for (const name of names) {
          const file = path.join(hourDirectory, name);
          // Gone since the listing (removed by hand): nothing to upload.
          const size = await stat(file).then((info) => info.size, () => undefined);
          if (size === undefined || (stored && stored.get(logKey(this.dataDir, file)) === size)) continue;
          this.enqueue(file, 'backlog');
          this.counters.resumed++;
          queued++;
        }
      }
    }
    return { partitions, queued };
  }

  /** key → size under `prefix`, or undefined when the store could not list it in `attempts` tries. */
  private async listWithRetries(prefix: string, attempts: number): Promise<Map<string, number> | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return new Map((await this.store.list(prefix)).map((info) => [info.key, info.size]));
      } catch (error) {
        const last = attempt >= attempts;
        this.onError(new Error(`listing ${prefix} in ${this.store.url} to resume uploads: ${(error as Error).message}; ${last ? 'queueing every file of it' : 'trying again'}`));
        if (last) return undefined;
        await sleep(Math.min(30_000, 250 * 2 ** attempt));
      }
    }
  }

  private async drain(): Promise<void> {
    let failures = 0;
    for (;;) {
      const queue = this.live.length > 0 ? this.live : this.backlog;
      const file = queue[0];
      if (file === undefined) return;
      try {
        await this.store.put(logKey(this.dataDir, file), { path: file });
        queue.shift();
        this.counters.uploaded++;
        failures = 0;
      } catch (error) {
        const gone = await stat(file).then(() => false, (statError: NodeJS.ErrnoException) => statError.code === 'ENOENT');
        if (gone) {
          queue.shift();
          this.counters.vanished++;
          this.onError(new Error(`${file} is gone from the disk before its upload to ${this.store.url}: dropped`));
        } else {
          this.counters.failedAttempts++;
          this.onError(new Error(`uploading ${file} to ${this.store.url}: ${(error as Error).message}`));
          // To the back of its queue: one file the store keeps refusing must not hold up the rest.
          queue.push(queue.shift()!);
          await sleep(Math.min(30_000, 250 * 2 ** Math.min(failures++, 7)));
        }
      }
      this.counters.pending = this.live.length + this.backlog.length;
    }
  }
}

export function logKey(dataDir: string, file: string): string {
  return [LOG_PREFIX, ...path.relative(dataDir, file).split(path.sep)].join('/');
}

/** The `<root>/model=<m>/date=…/hour=…` directories of every model there, for each hour from `sinceMs` to `untilMs` (which may not exist). */
async function hourPartitionsOfEveryModel(root: string, sinceMs: number, untilMs: number): Promise<string[]> {
  const models = (await readdir(root, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory() && e.name.startsWith('model=')).map((e) => e.name.slice('model='.length));
  return models.flatMap((model) => windowHours(sinceMs, untilMs).map((hour) => path.join(root, ...hourPartition(model, hour).split('/'))));
}
