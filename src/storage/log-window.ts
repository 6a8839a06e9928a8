/**
 * A window of the gateways' logs where this worker can read it. With a store, the gateways upload
 * their log files (`mlops gateway --storage`, src/serving/log-upload.ts): the window's hours of the
 * named logs are downloaded into a temporary data directory on this worker's disk, read, and
 * removed. Without a store, or while the store holds none of the window, the local data directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { LOG_PREFIX } from '../serving/log-upload.js';
import { hourPartition, windowHours } from '../serving/prediction-log.js';
import type { BlobStore } from './blob-store.js';

export type LogName = 'predictions' | 'labels' | 'kpis';

/** Gateways write a file per partition per flush (every second by default): many small objects. */
const PARALLEL_DOWNLOADS = 16;

export interface LogWindow {
  store: BlobStore | undefined;
  /** The worker's own data directory (the fallback, and where the temporary one goes). */
  dataDir: string;
  logs: readonly LogName[];
  model: string;
  fromMs: number;
  toMs: number;
  heartbeat?: (details: string) => void;
}

export async function withLogWindow<T>(window: LogWindow, read: (dataDir: string) => Promise<T>): Promise<T> {
  const { store, dataDir } = window;
  if (!store) return read(dataDir);
  const prefixes = window.logs.flatMap((log) => windowHours(window.fromMs, window.toMs).map((hour) => `${LOG_PREFIX}/${log}/${hourPartition(window.model, hour)}/`));
  const files = (await Promise.all(prefixes.map((prefix) => store.list(prefix)))).flat();
  if (files.length === 0) return read(dataDir);
  const temporary = await mkdtemp(path.join(dataDir, 'tmp-window-'));
  try {
    let next = 0;
    const download = async () => {
      while (next < files.length) {
        const file = files[next++]!;
        await store.getToFile(file.key, path.join(temporary, ...file.key.slice(LOG_PREFIX.length + 1).split('/')));
        if (next % 100 === 0) window.heartbeat?.(`downloaded ${next} of ${files.length} log files`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_DOWNLOADS, files.length) }, download));
    return await read(temporary);
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}
