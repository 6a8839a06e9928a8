/**
 * The s3:// blob store: a bucket and key prefix on any S3-compatible server (AWS S3, GCS's
 * interoperability endpoint, MinIO, SeaweedFS, R2) through the AWS SDK v3 client. Credentials
 * come from the client's default chain only (env, profile, instance role).
 *
 * Each object carries its sha256 as user metadata (`x-amz-meta-sha256`), which must be set when
 * the upload starts; so a stream is first spooled to a temp file while hashing (memory stays
 * flat whatever its size), then uploaded from the file: in one PUT up to one part's size, else
 * in parts. S3 makes the object visible only when the PUT or the multipart upload completes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { sha256File } from '../data/content-hash.js';
import {
  BlobNotFoundError,
  BlobStoreAccessError,
  contentAddressedKey,
  isFileSource,
  sha256NamedByKey,
  throughVerifier,
  readVersionLabel,
  validateBlobKey,
  validateBlobPrefix,
  verifyingStream,
  writeHashedFile,
  writeVerifiedToFile,
  type BlobInfo,
  type BlobReadOptions,
  type BlobSource,
  type BlobStore,
  type HashingStream,
} from './blob-store.js';

export interface S3BlobStoreOptions {
  /** Objects larger than this go up in parts of this size (S3: at least 5 MiB, at most 10,000 parts). */
  partSizeBytes?: number;
  /** Where streams are spooled before upload (the OS temp directory by default). */
  spoolDirectory?: string;
  /** Keys per list request (S3's default and maximum is 1000; tests lower it to page). */
  listPageSize?: number;
}

const DEFAULT_PART_SIZE = 16 * 1024 * 1024;
const MAX_PARTS = 10_000;
// Errors that mean "who you are or what you may do", not "what you asked for".
const ACCESS_ERRORS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'Forbidden', 'CredentialsProviderError', 'ExpiredToken', 'InvalidToken', 'NoSuchBucket']);

export class S3BlobStore implements BlobStore {
  readonly url: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly spoolDirectory: string;
  private readonly listPageSize: number | undefined;

  /** `prefix` is the key prefix under which this store keeps its objects ('' for the bucket's root). */
  constructor(private readonly client: S3Client, readonly bucket: string, prefix = '', options: S3BlobStoreOptions = {}) {
    this.prefix = prefix.replace(/^\/+|\/+$/g, '');
    if (this.prefix !== '') validateBlobKey(this.prefix);
    this.url = `s3://${bucket}${this.prefix ? `/${this.prefix}` : ''}`;
    this.partSize = Math.max(5 * 1024 * 1024, options.partSizeBytes ?? DEFAULT_PART_SIZE);
    this.spoolDirectory = options.spoolDirectory ?? os.tmpdir();
    this.listPageSize = options.listPageSize;
  }

  async put(key: string, source: BlobSource): Promise<Required<BlobInfo>> {
    validateBlobKey(key);
    return this.withLocalFile(source, async (file, { sha256, size }) => {
      await this.upload(key, file, sha256, size);
      return { key, sha256, size };
    });
  }

  async putContentAddressed(source: BlobSource): Promise<Required<BlobInfo>> {
    return this.withLocalFile(source, async (file, { sha256, size }) => {
      const key = contentAddressedKey(sha256);
      // Same hash and size already there: reads check the bytes against the key anyway.
      if ((await this.head(key))?.size !== size) await this.upload(key, file, sha256, size);
      return { key, sha256, size };
    });
  }

  async get(key: string, options: BlobReadOptions = {}): Promise<Readable> {
    return this.openVerified(key, options);
  }

  async getToFile(key: string, destination: string, options: BlobReadOptions = {}): Promise<Required<BlobInfo>> {
    return { key, ...(await writeVerifiedToFile(await this.openVerified(key, options), destination)) };
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    validateBlobKey(key);
    try {
      const answer = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
      const sha256 = sha256NamedByKey(key) ?? answer.Metadata?.sha256;
      return { key, size: answer.ContentLength ?? 0, ...(sha256 ? { sha256 } : {}) };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.translate(error, key);
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== undefined;
  }

  async list(prefix = ''): Promise<BlobInfo[]> {
    validateBlobPrefix(prefix);
    const found: BlobInfo[] = [];
    const storePrefix = this.prefix ? `${this.prefix}/` : '';
    let token: string | undefined;
    do {
      const page = await this.client
        .send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: storePrefix + prefix, ContinuationToken: token, MaxKeys: this.listPageSize }))
        .catch((error: unknown) => {
          throw this.translate(error, `${prefix}*`);
        });
      for (const object of page.Contents ?? []) {
        if (object.Key?.startsWith(storePrefix)) found.push({ key: object.Key.slice(storePrefix.length), size: object.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    validateBlobKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) })).catch((error: unknown) => {
      if (!isNotFound(error)) throw this.translate(error, key);
    });
  }

  private async openVerified(key: string, { versionId, generation }: BlobReadOptions = {}): Promise<HashingStream> {
    validateBlobKey(key);
    const command = new GetObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key), ...(versionId !== undefined ? { VersionId: versionId } : {}) });
    const served = generation === undefined ? undefined : askForGeneration(command, generation);
    try {
      const answer = await this.client.send(command);
      if (served && served.generation !== generation) {
        (answer.Body as Readable | undefined)?.destroy();
        throw new BlobStoreAccessError(served.generation === undefined
          ? `${this.url} did not say which generation of ${JSON.stringify(key)} it served (no x-goog-generation): a generation is read through Google Cloud Storage's XML API (storage.endpoint https://storage.googleapis.com)`
          : `${this.url} served generation ${served.generation} of ${JSON.stringify(key)}, not ${generation}`);
      }
      const expected = sha256NamedByKey(key) ?? answer.Metadata?.sha256;
      return throughVerifier(answer.Body as Readable, verifyingStream(key, this.url, expected));
    } catch (error) {
      if (error instanceof BlobStoreAccessError) throw error;
      throw isNotFound(error) ? new BlobNotFoundError(key, this.url, readVersionLabel({ versionId, generation })) : this.translate(error, key);
    }
  }

  /** Runs `use` with the source as a local file and its hash: a file as it is, a stream spooled. */
  private async withLocalFile<T>(source: BlobSource, use: (file: string, hashed: { sha256: string; size: number }) => Promise<T>): Promise<T> {
    if (isFileSource(source)) {
      // Hashed where it is, then read again to upload; a file changing in between fails on read.
      const { sha256, sizeBytes } = await sha256File(source.path);
      return use(source.path, { sha256, size: sizeBytes });
    }
    const directory = await mkdtemp(path.join(this.spoolDirectory, 'mlops-blob-'));
    try {
      const file = path.join(directory, 'spool');
      return await use(file, await writeHashedFile(source, file));
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }

  private async upload(key: string, file: string, sha256: string, size: number): Promise<void> {
    const target = { Bucket: this.bucket, Key: this.fullKey(key) };
    const partSize = Math.max(this.partSize, Math.ceil(size / MAX_PARTS));
    try {
      if (size <= partSize) {
        await this.client.send(new PutObjectCommand({ ...target, Body: createReadStream(file), ContentLength: size, Metadata: { sha256 } }));
        return;
      }
      const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ ...target, Metadata: { sha256 } }));
      try {
        const parts = [];
        // One part in flight at a time, each streamed from the file: memory stays at one socket buffer.
        for (let start = 0, number = 1; start < size; start += partSize, number += 1) {
          const length = Math.min(partSize, size - start);
          const body = createReadStream(file, { start, end: start + length - 1 });
          const { ETag } = await this.client.send(new UploadPartCommand({ ...target, UploadId, PartNumber: number, Body: body, ContentLength: length }));
          parts.push({ ETag, PartNumber: number });
        }
        await this.client.send(new CompleteMultipartUploadCommand({ ...target, UploadId, MultipartUpload: { Parts: parts } }));
      } catch (error) {
        // Leave no invisible parts behind to be billed for.
        await this.client.send(new AbortMultipartUploadCommand({ ...target, UploadId })).catch(() => undefined);
        throw error;
      }
    } catch (error) {
      throw this.translate(error, key);
    }
  }

  private fullKey(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  /** Access problems become BlobStoreAccessError saying where credentials come from; others pass. */
  private translate(error: unknown, key: string): unknown {
    const { name, message, $metadata } = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    if (name === 'NoSuchBucket') {
      return new BlobStoreAccessError(`${this.url}: bucket ${JSON.stringify(this.bucket)} does not exist on the S3 server (asked for ${JSON.stringify(key)})`, { cause: error });
    }
    if (ACCESS_ERRORS.has(name ?? '') || $metadata?.httpStatusCode === 403) {
      return new BlobStoreAccessError(
        `${this.url}: the S3 server refused access to ${JSON.stringify(key)} (${name}: ${message || 'forbidden'}). ` +
          'Credentials come from the AWS SDK default chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or the instance role): check that they are set and valid for this bucket.',
        { cause: error },
      );
    }
    return error;
  }
}

function isNotFound(error: unknown): boolean {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  // A missing bucket is also a 404, but a mistake to report, not an absent object.
  return name !== 'NoSuchBucket' && (name === 'NoSuchKey' || name === 'NoSuchVersion' || name === 'NotFound' || $metadata?.httpStatusCode === 404);
}

/**
 * GCS's XML API reads one generation of an object by a `generation` query parameter (the S3 API
 * has VersionId instead) and names the generation it served in `x-goog-generation`. Added before
 * signing, so the parameter is signed like the rest of the request.
 */
function askForGeneration(command: GetObjectCommand, generation: string): { generation?: string } {
  const served: { generation?: string } = {};
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { query?: Record<string, string | string[] | null> };
      request.query = { ...request.query, generation };
      const result = await next(args);
      const headers = (result.response as { headers?: Record<string, string> }).headers ?? {};
      served.generation = headers['x-goog-generation'];
      return result;
    },
    { step: 'build', name: 'gcsGeneration' },
  );
  return served;
}
