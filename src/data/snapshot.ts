/**
 * Data snapshots: the dataset is copied, under its content hash, into the data directory so
 * every later step of a run (contract, training, evaluation) reads the same immutable bytes,
 * and the hash names the data version.
 */
import { createHash } from 'node:crypto';
import { sha256File } from './content-hash.js';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, chmod, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DatasetError } from './dataset-error.js';
import { datasetExtension, inferDatasetFormat, type DatasetFormat } from './dataset-format.js';
import { loadDataset } from './load-dataset.js';
import type { Table } from './table.js';
import type { BlobStore } from '../storage/blob-store.js';
import { localCopy, type SharedFile } from '../storage/shared-file.js';

export interface DataSnapshot {
  /** sha256 of the file bytes, hex. */
  sha256: string;
  /** First 16 hex characters of sha256: short enough for workflow IDs, long enough not to collide. */
  dataVersion: string;
  /** Absolute path of the immutable copy: `<dataDir>/snapshots/<sha256>.<ext>`. */
  path: string;
  format: DatasetFormat;
  sizeBytes: number;
  /** The user's `data.source` it was copied from: what errors about the data name. */
  source?: string;
  /** The same bytes in the pipeline's blob store, for activities on other hosts (with `storage`). */
  shared?: SharedFile;
}

export const DATA_VERSION_LENGTH = 16;

/** Idempotent: snapshotting the same bytes again returns the same snapshot without copying. */
export async function snapshotDataset(source: string, dataDir: string, options: { format?: DatasetFormat } = {}): Promise<DataSnapshot> {
  const format = options.format ?? inferDatasetFormat(source);
  await assertSourceFile(source);
  const extension = datasetExtension(source, format);
  const directory = snapshotsDirectory(dataDir);
  const snapshotPath = (sha256: string) => join(directory, `${sha256}.${extension}`);

  let { sha256, sizeBytes } = await sha256File(source);
  if (!(await fileExists(snapshotPath(sha256)))) {
    await mkdir(directory, { recursive: true });
    // Hash the bytes actually copied: if the source changed since the first read, the copy is still named by its content.
    ({ sha256, sizeBytes } = await copyAtomically(source, directory, snapshotPath));
  }
  return { sha256, dataVersion: sha256.slice(0, DATA_VERSION_LENGTH), path: snapshotPath(sha256), format, sizeBytes, source };
}

/** `<dataDir>/snapshots`: every snapshot, named `<sha256>.<ext>`, read-only once there. */
export function snapshotsDirectory(dataDir: string): string {
  return join(resolve(dataDir), 'snapshots');
}

/** A path inside the snapshots directory for bytes still arriving (same filesystem, so the final rename is atomic). */
export async function incomingSnapshotPath(dataDir: string): Promise<string> {
  const directory = snapshotsDirectory(dataDir);
  await mkdir(directory, { recursive: true });
  return join(directory, `.incoming-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
}

/**
 * Makes a complete file (from incomingSnapshotPath, already hashed) the snapshot of its bytes:
 * flushed, read-only, renamed to `<sha256>.<extension>`. Bytes already snapshotted stay as they are.
 */
export async function commitSnapshotFile(
  incoming: string,
  hashed: { sha256: string; sizeBytes: number },
  dataDir: string,
  details: { extension: string; format: DatasetFormat; source: string },
): Promise<DataSnapshot> {
  const path = join(snapshotsDirectory(dataDir), `${hashed.sha256}.${details.extension}`);
  try {
    if (!(await fileExists(path))) {
      const handle = await open(incoming, 'r');
      await handle.sync().finally(() => handle.close());
      await chmod(incoming, 0o444);
      await rename(incoming, path);
    }
  } finally {
    await rm(incoming, { force: true });
  }
  return { ...hashed, dataVersion: hashed.sha256.slice(0, DATA_VERSION_LENGTH), path, format: details.format, source: details.source };
}

/**
 * A snapshot this host already has whose sha256 starts with `dataVersion` (16 to 64 hex), in
 * `format` when given: what a run that expects those bytes can use without reading its source.
 */
export async function findSnapshot(dataDir: string, dataVersion: string, options: { format?: DatasetFormat; source: string }): Promise<DataSnapshot | undefined> {
  if (!/^[0-9a-f]{16,64}$/.test(dataVersion)) return undefined;
  const names = await readdir(snapshotsDirectory(dataDir)).catch(() => [] as string[]);
  for (const name of names.sort()) {
    const match = /^([0-9a-f]{64})\.(csv\.gz|csv\.zst|csv|parquet|pq)$/.exec(name);
    if (!match || !match[1]!.startsWith(dataVersion)) continue;
    const format = inferDatasetFormat(name);
    if (options.format !== undefined && options.format !== format) continue;
    const path = join(snapshotsDirectory(dataDir), name);
    const { size } = await stat(path);
    return { sha256: match[1]!, dataVersion: match[1]!.slice(0, DATA_VERSION_LENGTH), path, format, sizeBytes: size, source: options.source };
  }
  return undefined;
}

/**
 * The snapshot as a table. A problem with the data is reported against the user's source
 * (`data/day1.csv (data version e3b0c442…)`), not the internal copy under `.data/snapshots/`.
 */
/**
 * The training snapshot of a data version (its full sha256) on this host: `<dataDir>/snapshots/<sha256>.<ext>`,
 * else, with the pipeline's blob store, its content-addressed copy there (put by snapshotData,
 * src/storage/shared-file.ts) fetched into `<dataDir>/shared/`. undefined when neither has it.
 */
export async function findSnapshotFile(dataDir: string, sha256: string, store?: BlobStore): Promise<string | undefined> {
  if (!sha256) return undefined;
  const directory = snapshotsDirectory(dataDir);
  const name = (await readdir(directory).catch(() => [] as string[])).find((entry) => entry.startsWith(`${sha256}.`));
  if (name !== undefined) return join(directory, name);
  const key = `sha256/${sha256}`;
  if (!store || !(await store.exists(key))) return undefined;
  // Content-addressed keys carry no extension, and the loaders go by it: Parquet starts with PAR1.
  for (const extension of ['.parquet', '.csv']) {
    const earlier = join(dataDir, 'shared', `${sha256}${extension}`);
    if ((await sha256File(earlier).catch(() => undefined))?.sha256 === sha256) return earlier;
  }
  const fetched = await localCopy(store, { key, sha256 }, '', dataDir);
  const handle = await open(fetched, 'r');
  const magic = Buffer.alloc(4);
  try {
    await handle.read(magic, 0, 4, 0);
  } finally {
    await handle.close();
  }
  const named = `${fetched}${magic.toString('latin1') === 'PAR1' ? '.parquet' : '.csv'}`;
  await rename(fetched, named).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error; // a concurrent reader renamed it first
  });
  return named;
}

export async function loadSnapshot(snapshot: DataSnapshot): Promise<Table> {
  return readingSnapshot(snapshot, () => loadDataset(snapshot.path, { format: snapshot.format }));
}

/** Runs a read of the snapshot's file; a dataset error names the data source and version, not the snapshot's path. */
export async function readingSnapshot<T>(snapshot: DataSnapshot, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (!(err instanceof DatasetError) || snapshot.source === undefined) throw err;
    const named = `${snapshot.source} (data version ${snapshot.dataVersion})`;
    throw new DatasetError(err.message.split(snapshot.path).join(named), { path: snapshot.source, problem: err.problem });
  }
}

async function assertSourceFile(source: string): Promise<void> {
  try {
    if (!(await stat(source)).isFile()) throw DatasetError.about(source, 'unreadable', 'is not a regular file');
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw DatasetError.about(source, 'not_found', 'data source file not found');
    throw DatasetError.about(source, 'unreadable', `cannot open the data source (${code ?? String(error)})`);
  }
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function hashingPassThrough(): { stream: Transform; result: () => { sha256: string; sizeBytes: number } } {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      sizeBytes += chunk.length;
      callback(null, chunk);
    },
  });
  return { stream, result: () => ({ sha256: hash.digest('hex'), sizeBytes }) };
}

/** Temp file + fsync + rename: a crash leaves either no snapshot or a complete one, never a partial file. */
async function copyAtomically(source: string, directory: string, snapshotPath: (sha256: string) => string): Promise<{ sha256: string; sizeBytes: number }> {
  const temporaryPath = join(directory, `.incoming-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  try {
    const hashing = hashingPassThrough();
    await pipeline(createReadStream(source), hashing.stream, createWriteStream(temporaryPath, { flags: 'wx' }));
    const copied = hashing.result();
    const handle = await open(temporaryPath, 'r');
    await handle.sync().finally(() => handle.close());
    await chmod(temporaryPath, 0o444); // snapshots are never edited in place
    await rename(temporaryPath, snapshotPath(copied.sha256));
    return copied;
  } finally {
    await rm(temporaryPath, { force: true });
  }
}
