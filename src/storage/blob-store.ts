/**
 * The blob store port (after Flagger's one-interface providers): named bytes that one process
 * writes and another reads, on any host. Adapters: file:// (the embedded default) and s3://.
 * The store records each object's sha256 when it is put and checks it on every read, so a
 * changed or truncated object is an error naming its key, never bytes handed on silently.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** What to store: a stream (read once) or a file on this host, read by path. */
export type BlobSource = Readable | { path: string };

export interface BlobInfo {
  /** The key inside this store (the store's own prefix not included). */
  key: string;
  size: number;
  /** Known after put and get, and from head when the store recorded it at put. */
  sha256?: string;
}

/** How to read an object: by default the bytes its key holds now. */
export interface BlobReadOptions {
  /** One version of a versioned object (S3 VersionId). Stores that keep one version (file://) refuse it. */
  versionId?: string;
  /**
   * One generation of a Google Cloud Storage object, read through GCS's S3-compatible XML API
   * (which names versions this way); the answer must say it served that generation.
   */
  generation?: string;
}

export interface BlobStore {
  /** Where the store is (file:///… or s3://bucket/prefix), for messages and logs. */
  readonly url: string;
  /** Stores the bytes under `key`, replacing any object there; returns their sha256. */
  put(key: string, source: BlobSource): Promise<Required<BlobInfo>>;
  /** Stores the bytes under `sha256/<hex>` once: when that key exists nothing is uploaded. */
  putContentAddressed(source: BlobSource): Promise<Required<BlobInfo>>;
  /**
   * The object's bytes. The stream fails with BlobIntegrityError at its end when they do not
   * match the sha256 recorded at put (or named by a content-addressed key): read to the end
   * before trusting what came out. Throws BlobNotFoundError when there is no such key.
   */
  get(key: string, options?: BlobReadOptions): Promise<Readable>;
  /** Writes the object to `destination`, which appears only once its sha256 checked out. */
  getToFile(key: string, destination: string, options?: BlobReadOptions): Promise<Required<BlobInfo>>;
  /** Size (and sha256 when recorded) of the object, or undefined when there is none. */
  head(key: string): Promise<BlobInfo | undefined>;
  exists(key: string): Promise<boolean>;
  /** Every object whose key starts with `prefix` (all pages), sorted by key. */
  list(prefix?: string): Promise<BlobInfo[]>;
  /** Removes the object; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
}

/** A key that would escape the store or cannot name an object the same way on every adapter. */
export class InvalidBlobKeyError extends Error {
  override readonly name = 'InvalidBlobKeyError';
  constructor(readonly key: string, reason: string) {
    super(`invalid blob key ${JSON.stringify(key)}: ${reason}`);
  }
}

/** How a read's version is named in messages: `version "v7"` (S3) or `generation 17` (GCS); undefined for the key's current bytes. */
export function readVersionLabel({ versionId, generation }: BlobReadOptions): string | undefined {
  return versionId !== undefined ? `version ${JSON.stringify(versionId)}` : generation !== undefined ? `generation ${generation}` : undefined;
}

export class BlobNotFoundError extends Error {
  override readonly name = 'BlobNotFoundError';
  /** `version`: the version asked for, as readVersionLabel names it. */
  constructor(readonly key: string, storeUrl: string, readonly version?: string) {
    super(version === undefined ? `no object ${JSON.stringify(key)} in ${storeUrl}` : `no ${version} of object ${JSON.stringify(key)} in ${storeUrl}`);
  }
}

/** A version asked of a store that keeps one version of each object (`version` as readVersionLabel names it). */
export class BlobVersionUnsupportedError extends Error {
  override readonly name = 'BlobVersionUnsupportedError';
  constructor(readonly key: string, storeUrl: string, readonly version: string) {
    super(`${storeUrl} keeps one version of each object: cannot read ${version} of ${JSON.stringify(key)}`);
  }
}

/** The bytes read differ from the bytes put: the object was changed, truncated or corrupted. */
export class BlobIntegrityError extends Error {
  override readonly name = 'BlobIntegrityError';
  constructor(readonly key: string, storeUrl: string, readonly expectedSha256: string, readonly actualSha256: string) {
    super(`object ${JSON.stringify(key)} in ${storeUrl} is corrupt: its bytes hash to sha256 ${actualSha256}, but ${expectedSha256} was stored`);
  }
}

/** The store refused us (credentials missing or wrong, no permission, no such bucket). */
export class BlobStoreAccessError extends Error {
  override readonly name = 'BlobStoreAccessError';
}

// The file adapter keeps its temp files and recorded hashes under this first segment.
export const RESERVED_KEY_SEGMENT = '.blobstore';
const CONTENT_ADDRESSED = /^sha256\/([0-9a-f]{64})$/;

/** Throws InvalidBlobKeyError unless `key` is a relative, slash-separated name safe everywhere. */
export function validateBlobKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidBlobKeyError(String(key), 'a key must not be empty');
  if (key.includes('\0')) throw new InvalidBlobKeyError(key, 'a key must not contain a NUL character');
  if (key.startsWith('/')) throw new InvalidBlobKeyError(key, "a key is relative to the store and must not start with '/'");
  if (key.endsWith('/')) throw new InvalidBlobKeyError(key, "a key names an object and must not end with '/'");
  if (key.includes('\\')) throw new InvalidBlobKeyError(key, "use '/' to separate a key's parts, not '\\'");
  if (Buffer.byteLength(key) > 900) throw new InvalidBlobKeyError(key, 'a key must be at most 900 bytes (S3 allows 1024 with the prefix)');
  for (const segment of key.split('/')) {
    if (segment === '..' || segment === '.') throw new InvalidBlobKeyError(key, `a key must not contain a '${segment}' part`);
    if (segment === '') throw new InvalidBlobKeyError(key, "a key must not contain an empty part ('//')");
  }
  if (key.split('/')[0] === RESERVED_KEY_SEGMENT) throw new InvalidBlobKeyError(key, `keys under '${RESERVED_KEY_SEGMENT}/' are the store's own`);
  return key;
}

/** A list prefix is a key's beginning: the same rules, except it may be empty or end with '/'. */
export function validateBlobPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  validateBlobKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  return prefix;
}

export function contentAddressedKey(sha256: string): string {
  return `sha256/${sha256}`;
}

/** The hash a content-addressed key names, or undefined for other keys. */
export function sha256NamedByKey(key: string): string | undefined {
  return CONTENT_ADDRESSED.exec(key)?.[1];
}

/** A pass-through that hashes and counts the bytes flowing by; read `digest()` after the end. */
export class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    done(null, chunk);
  }

  private hex?: string;
  digest(): string {
    this.hex ??= this.hash.digest('hex');
    return this.hex;
  }
}

/**
 * A pass-through that fails at the end when the bytes do not hash to `expected` (when there is
 * one to check), so a reader never sees a clean end of a corrupt object.
 */
export function verifyingStream(key: string, storeUrl: string, expected: string | undefined): HashingStream {
  const stream = new HashingStream();
  const flush = (done: TransformCallback) => {
    const actual = stream.digest();
    done(expected === undefined || expected === actual ? null : new BlobIntegrityError(key, storeUrl, expected, actual));
  };
  stream._flush = flush;
  return stream;
}

export function isFileSource(source: BlobSource): source is { path: string } {
  return typeof (source as { path?: unknown }).path === 'string' && typeof (source as Readable).pipe !== 'function';
}

/** Stream for a source: a file is opened here, a stream is used as it is. */
export function readSource(source: BlobSource): Readable {
  return isFileSource(source) ? createReadStream(source.path) : source;
}

/**
 * Copies the source to `file` (created, flushed to disk) while hashing it: the one pass that
 * both the file store's atomic write and the S3 upload of a stream of unknown length start with.
 */
export async function writeHashedFile(source: BlobSource, file: string): Promise<{ sha256: string; size: number }> {
  const hashing = new HashingStream();
  await pipeline(readSource(source), hashing, createWriteStream(file, { flags: 'wx' }));
  await syncFile(file);
  return { sha256: hashing.digest(), size: hashing.size };
}

/** Drains a verified object stream into `destination`, which appears only when the hash checked out. */
export async function writeVerifiedToFile(verified: HashingStream, destination: string): Promise<{ sha256: string; size: number }> {
  await mkdir(path.dirname(destination), { recursive: true });
  const partial = `${destination}.${randomUUID()}.partial`;
  try {
    await pipeline(verified, createWriteStream(partial, { flags: 'wx' }));
    await rename(partial, destination);
    return { sha256: verified.digest(), size: verified.size };
  } finally {
    await rm(partial, { force: true });
  }
}

/** Forwards the source's errors (a vanished file, a dropped connection) to the verifying stream. */
export function throughVerifier(source: Readable, verifier: HashingStream): HashingStream {
  source.on('error', (error) => verifier.destroy(error));
  verifier.on('close', () => source.destroy());
  // A small object can end (and fail its check) before the caller starts reading: the error is
  // kept on the stream (`errored`) and reading or piping it still rejects, but it must not crash
  // the process as an unhandled 'error' event meanwhile.
  verifier.on('error', () => undefined);
  return source.pipe(verifier);
}

export async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
