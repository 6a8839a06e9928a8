/**
 * Snapshots of S3 data: one object (exactly the version asked for, when one is) or every
 * Parquet/CSV part under a prefix, downloaded through the blob store into the same
 * content-addressed area as file snapshots (`<dataDir>/snapshots/<sha256>.<ext>`), so the data
 * version is still the sha256 of the snapshot's bytes, on whichever host took it.
 *
 * Parts are concatenated in key order: Parquet parts (same columns and types) by DuckDB into one
 * Parquet file, plain CSV parts (same header line) byte for byte with one header. One part is
 * kept as it is, so a prefix holding one object has the data version of that object.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  BlobIntegrityError,
  BlobNotFoundError,
  BlobStoreAccessError,
  HashingStream,
  InvalidBlobKeyError,
  readVersionLabel,
  type BlobInfo,
  type BlobStore,
} from '../storage/blob-store.js';
import { openGcsBucket, openS3Bucket } from '../storage/open-blob-store.js';
import type { StorageConfig } from '../storage/storage-config.js';
import { sha256File } from './content-hash.js';
import { dataObjectUrl, type DataObject } from './data-source-url.js';
import { DatasetError } from './dataset-error.js';
import { datasetExtension, inferDatasetFormat, type DatasetFormat } from './dataset-format.js';
import { withDuckDB } from './duckdb-connection.js';
import { commitSnapshotFile, incomingSnapshotPath, type DataSnapshot } from './snapshot.js';
import { quoteString } from './sql-literals.js';

export interface S3SnapshotOptions {
  format?: DatasetFormat;
  /** The pipeline's `storage`: its S3 settings apply when it is on the same bucket. */
  storage?: StorageConfig;
  /** How errors name what was read: `data.source` (default) or the run input's `dataObject`. */
  field?: string;
  /** Opens the bucket (default: openS3Bucket with `storage`). */
  openBucket?: (bucket: string) => BlobStore;
}

/** One object, at `object.versionId` (S3) or `object.generation` (GCS) when given. */
export async function snapshotS3Object(object: DataObject, dataDir: string, options: S3SnapshotOptions = {}): Promise<DataSnapshot> {
  const url = dataObjectUrl(object);
  const what = describe(options.field ?? 'data.source', url, readVersionLabel(object));
  const format = options.format ?? formatOf(url, what);
  const open = options.openBucket ?? ((bucket: string) => (object.generation !== undefined ? openGcsBucket(bucket, options.storage) : openS3Bucket(bucket, options.storage)));
  const store = open(object.bucket);
  const incoming = await incomingSnapshotPath(dataDir);
  try {
    const { sha256, size } = await explained(what, () => store.getToFile(object.key, incoming, { ...(object.versionId !== undefined && { versionId: object.versionId }), ...(object.generation !== undefined && { generation: object.generation }) }));
    return await commitSnapshotFile(incoming, { sha256, sizeBytes: size }, dataDir, { extension: datasetExtension(object.key, format), format, source: url });
  } finally {
    await rm(incoming, { force: true });
  }
}

/** Every Parquet or CSV part under `prefix` ('' or ending with '/'), sorted by key, as one table. */
export async function snapshotS3Prefix(bucket: string, prefix: string, dataDir: string, options: S3SnapshotOptions = {}): Promise<DataSnapshot> {
  const url = `s3://${bucket}/${prefix}`;
  const what = describe(options.field ?? 'data.source', url);
  const store = (options.openBucket ?? ((name) => openS3Bucket(name, options.storage)))(bucket);
  const parts = choosePartsOf(await explained(what, () => store.list(prefix)), bucket, what, options.format);
  if (parts.keys.length === 1) return snapshotS3Object({ bucket, key: parts.keys[0]! }, dataDir, { ...options, format: parts.format, openBucket: () => store });

  const workspace = `${await incomingSnapshotPath(dataDir)}.parts`;
  await mkdir(workspace);
  try {
    const files: string[] = [];
    for (const [index, key] of parts.keys.entries()) {
      const file = join(workspace, `${String(index).padStart(6, '0')}.${datasetExtension(key, parts.format)}`);
      await explained(describe(options.field ?? 'data.source', `s3://${bucket}/${key}`), () => store.getToFile(key, file));
      files.push(file);
    }
    const partUrls = parts.keys.map((key) => `s3://${bucket}/${key}`);
    const incoming = join(workspace, `joined.${parts.format}`);
    const hashed = parts.format === 'parquet' ? await joinParquetParts(files, partUrls, incoming, what) : await joinCsvParts(files, partUrls, incoming, what);
    return await commitSnapshotFile(incoming, hashed, dataDir, { extension: parts.format, format: parts.format, source: url });
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
}

/** `data.source s3://b/k` or `dataObject s3://b/k (version "V")`: how every error here starts. */
function describe(field: string, url: string, version?: string): string {
  return `${field} ${url}${version === undefined ? '' : ` (${version})`}`;
}

function formatOf(url: string, what: string): DatasetFormat {
  try {
    return inferDatasetFormat(url);
  } catch {
    throw new DatasetError(`${what}: cannot tell the format from the key; expected a key ending in .csv or .parquet, or data.format: csv | parquet`, { path: url, problem: 'unsupported_format' });
  }
}

const PART_FORMATS: ReadonlyArray<[RegExp, DatasetFormat]> = [[/\.(parquet|pq)$/i, 'parquet'], [/\.csv$/i, 'csv']];

/**
 * The parts to join: keys with a Parquet or CSV extension (only `format`'s when given), without
 * Hadoop-style bookkeeping (`_SUCCESS`, `.crc`, names starting with '_' or '.'), all one format.
 */
function choosePartsOf(objects: BlobInfo[], bucket: string, what: string, format: DatasetFormat | undefined): { keys: string[]; format: DatasetFormat } {
  const keys: string[] = [];
  let chosen: DatasetFormat | undefined = format;
  for (const { key } of objects) {
    const name = key.slice(key.lastIndexOf('/') + 1);
    if (name.startsWith('_') || name.startsWith('.')) continue;
    if (/\.csv\.(gz|zst)$/i.test(name) && format !== 'parquet') {
      throw new DatasetError(`${what}: part s3://${bucket}/${key} is compressed CSV, which cannot be joined with other parts; expected plain .csv or .parquet parts`, { path: what, problem: 'unsupported_format' });
    }
    const partFormat = PART_FORMATS.find(([pattern]) => pattern.test(name))?.[1];
    if (partFormat === undefined || (format !== undefined && partFormat !== format)) continue;
    chosen ??= partFormat;
    if (partFormat !== chosen) {
      throw new DatasetError(`${what}: part s3://${bucket}/${key} is ${partFormat} but the parts before it are ${chosen}; expected every part in one format (or set data.format to read only one)`, { path: what, problem: 'invalid' });
    }
    keys.push(key);
  }
  if (keys.length === 0 || chosen === undefined) {
    const kinds = format === undefined ? 'Parquet or CSV parts (.parquet, .pq, .csv)' : `${format} parts`;
    throw new DatasetError(`${what}: no ${kinds} under this prefix; expected at least one (or name one object: s3://bucket/key without the trailing '/')`, { path: what, problem: 'not_found' });
  }
  return { keys, format: chosen };
}

/** Same columns with the same types in every part, then one Parquet file written by DuckDB (deterministic for the same parts). */
async function joinParquetParts(files: string[], urls: string[], output: string, what: string): Promise<{ sha256: string; sizeBytes: number }> {
  await withDuckDB(async (connection) => {
    let first: string | undefined;
    for (const [index, file] of files.entries()) {
      let schema: string;
      try {
        const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${quoteString(file)})`);
        schema = described.getRows().map((row) => `${String(row[0])} ${String(row[1])}`).join(', ');
      } catch (error) {
        throw new DatasetError(`${what}: part ${urls[index]} is not a readable Parquet file (${(error as Error).message.split('\n')[0]})`, { path: what, problem: 'unreadable' });
      }
      first ??= schema;
      if (schema !== first) {
        throw new DatasetError(`${what}: part ${urls[index]} does not have the schema of ${urls[0]}; expected every part to have the same columns and types (${shorten(first)}), found (${shorten(schema)})`, { path: what, problem: 'invalid' });
      }
    }
    const list = `[${files.map(quoteString).join(', ')}]`;
    // Insertion order is kept, so rows come part by part in key order.
    await connection.run(`COPY (SELECT * FROM read_parquet(${list})) TO ${quoteString(output)} (FORMAT parquet, COMPRESSION zstd)`);
  });
  return sha256File(output);
}

/** The header line of every part must be the first part's; the output is the first part, then every other part without its header. */
async function joinCsvParts(files: string[], urls: string[], output: string, what: string): Promise<{ sha256: string; sizeBytes: number }> {
  const header = await firstLine(files[0]!);
  async function* joined(): AsyncGenerator<Buffer> {
    let endsWithNewline = true;
    for (const [index, file] of files.entries()) {
      const line = index === 0 ? header : await firstLine(file);
      if (line.text !== header.text) {
        throw new DatasetError(`${what}: part ${urls[index]} does not have the columns of ${urls[0]}; expected the header ${shorten(header.text)}, found ${shorten(line.text)}`, { path: what, problem: 'invalid' });
      }
      if (!endsWithNewline) yield Buffer.from('\n');
      for await (const chunk of createReadStream(file, { start: index === 0 ? 0 : line.bytes }) as AsyncIterable<Buffer>) {
        if (chunk.length > 0) endsWithNewline = chunk[chunk.length - 1] === 0x0a;
        yield chunk;
      }
    }
  }
  const hashing = new HashingStream();
  await pipeline(joined, hashing, createWriteStream(output, { flags: 'wx' }));
  return { sha256: hashing.digest(), sizeBytes: hashing.size };
}

/** The first line (without its line break) and how many bytes it takes with the break. */
async function firstLine(file: string): Promise<{ text: string; bytes: number }> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(1024 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const end = buffer.subarray(0, bytesRead).indexOf(0x0a);
    const line = end === -1 ? buffer.subarray(0, bytesRead) : buffer.subarray(0, end);
    return { text: line.toString('utf8').replace(/\r$/, '').replace(/^\uFEFF/, ''), bytes: end === -1 ? bytesRead : end + 1 };
  } finally {
    await handle.close();
  }
}

function shorten(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 197)}...` : text);
}

/** Blob store errors become DatasetErrors that start with what was being read (non-retryable); others pass with it prefixed. */
async function explained<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    if (error instanceof BlobNotFoundError) {
      const detail = error.version === undefined
        ? "no such object on the S3 server; expected an existing object (or end the URL with '/' to read every Parquet and CSV part under a prefix)"
        : 'no such version of the object on the S3 server; expected a version the bucket keeps';
      throw new DatasetError(`${what}: ${detail}`, { path: what, problem: 'not_found' });
    }
    if (error instanceof BlobStoreAccessError || error instanceof InvalidBlobKeyError || error instanceof BlobIntegrityError) {
      throw new DatasetError(`${what}: ${error.message}`, { path: what, problem: 'unreadable' });
    }
    // Network and server errors stay retryable, but say what was being read.
    throw new Error(`${what}: cannot read from the S3 server: ${(error as Error).message}`, { cause: error });
  }
}
