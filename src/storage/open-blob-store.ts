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
  // No `credentials` here on purpose: the SDK's default chain finds them (env, profile, role).
  const client = new S3Client({
    region: checked.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? (checked.endpoint ? 'us-east-1' : undefined),
    ...(checked.endpoint ? { endpoint: checked.endpoint } : {}),
    forcePathStyle: checked.forcePathStyle ?? checked.endpoint !== undefined,
    // Only the checksums S3 requires: the newer default ones are refused by several S3-compatible
    // servers, and our own sha256 already covers every byte end to end.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return new S3BlobStore(client, location.bucket, location.prefix, options);
}
