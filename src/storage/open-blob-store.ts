/**
 * The one place that turns a `storage:` setting into a blob store adapter.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { BlobStore } from './blob-store.js';
import { FileBlobStore } from './file-blob-store.js';
import { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';
import { StorageConfig, parseStorageUrl } from './storage-config.js';

/** Checks `config` against the schema (throws its error) and opens the store it names. */
export function openBlobStore(config: StorageConfig, options: S3BlobStoreOptions = {}): BlobStore {
  const checked = StorageConfig.parse(config);
  const location = parseStorageUrl(checked.url);
  if (typeof location === 'string') throw new Error(location); // the schema already refused it
  if (location.kind === 'file') return new FileBlobStore(location.path);
  return new S3BlobStore(s3Client(checked), location.bucket, location.prefix, options);
}

/**
 * The root of an S3 bucket that is not (necessarily) the pipeline's store, such as the bucket a
 * `data.source` or an event names: `storage`'s endpoint, region and path style when it is on the
 * same bucket, else the SDK's defaults (AWS, or AWS_ENDPOINT_URL_S3 and AWS_REGION).
 */
export function openS3Bucket(bucket: string, storage?: StorageConfig, options: S3BlobStoreOptions = {}): S3BlobStore {
  const location = storage === undefined ? undefined : parseStorageUrl(storage.url);
  const sameBucket = typeof location === 'object' && location.kind === 's3' && location.bucket === bucket;
  return new S3BlobStore(s3Client(sameBucket ? storage! : {}), bucket, '', options);
}

/**
 * A Google Cloud Storage bucket through GCS's S3-compatible XML API: the pipeline's `storage`
 * endpoint (https://storage.googleapis.com) serves every bucket, the landing one included.
 */
export function openGcsBucket(bucket: string, storage: StorageConfig | undefined, options: S3BlobStoreOptions = {}): S3BlobStore {
  return new S3BlobStore(s3Client(storage ?? {}), bucket, '', options);
}

function s3Client(settings: Pick<StorageConfig, 'endpoint' | 'region' | 'forcePathStyle'>): S3Client {
  // No `credentials` here on purpose: the SDK's default chain finds them (env, profile, role).
  return new S3Client({
    region: settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? (settings.endpoint ? 'us-east-1' : undefined),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.forcePathStyle ?? settings.endpoint !== undefined,
    // Only the checksums S3 requires: the newer default ones are refused by several S3-compatible
    // servers, and our own sha256 already covers every byte end to end.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
