/**
 * What a pipeline's `data.source` names: a file on the worker, one S3 object
 * (`s3://bucket/key`), or every Parquet and CSV part under an S3 prefix (`s3://bucket/prefix/`,
 * the trailing '/' says "prefix"). Pure (no Node modules) so the definition's schema, and so the
 * workflow bundle, can check it.
 */
import { quoteValue as show } from '../spec/problems.js';
import { isBucketName } from '../storage/storage-config.js';

export type DataSourceLocation =
  | { kind: 'file'; path: string }
  | { kind: 's3-object'; bucket: string; key: string }
  /** `prefix` is '' (the whole bucket) or ends with '/'. */
  | { kind: 's3-prefix'; bucket: string; prefix: string };

/** One S3 object and, when the event or the caller names one, its version. */
export interface DataObject {
  bucket: string;
  key: string;
  /** S3 VersionId: read exactly this version, not whatever the key holds now. */
  versionId?: string;
  /** GCS generation (the object read through GCS's S3-compatible XML API): exactly this generation. */
  generation?: string;
}

export const DATA_SOURCE_EXPECTED = 'a path to a CSV or Parquet file, s3://bucket/key (one object) or s3://bucket/prefix/ (every Parquet and CSV part under it)';

const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** The location `source` names, or a sentence saying what is wrong with it. */
export function parseDataSource(source: string): DataSourceLocation | string {
  if (!URL_SCHEME.test(source)) return { kind: 'file', path: source };
  if (!source.startsWith('s3://')) return `expected ${DATA_SOURCE_EXPECTED}, got ${show(source)}`;
  const rest = source.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  if (!isBucketName(bucket)) return `expected s3://<bucket>/… with a bucket name of 3 to 63 lower-case letters, digits, '.', '-' or '_', got ${show(source)}`;
  if (slash === -1) return `expected s3://${bucket}/key (one object) or s3://${bucket}/prefix/ (every Parquet and CSV part under it; s3://${bucket}/ for the whole bucket), got ${show(source)}`;
  const path = rest.slice(slash + 1);
  const problem = keyProblem(path.endsWith('/') ? path.slice(0, -1) : path);
  if (path !== '' && problem) return `${problem}, got ${show(source)}`;
  return path === '' || path.endsWith('/') ? { kind: 's3-prefix', bucket, prefix: path } : { kind: 's3-object', bucket, key: path };
}

/** `s3://bucket/key`: how errors and the worker policy name an object. */
export function dataObjectUrl(object: { bucket: string; key: string }): string {
  return `s3://${object.bucket}/${object.key}`;
}

// The blob store's key rules (src/storage/blob-store.ts), so a key the schema accepts can be read.
function keyProblem(key: string): string | undefined {
  if (key.includes('\0')) return 'an S3 key must not contain a NUL character';
  if (key.includes('\\')) return "an S3 key here uses '/' between its parts, not '\\'";
  if (key.split('/').some((part) => part === '' || part === '.' || part === '..')) return "an S3 key must not contain '//', '.' or '..' parts";
  if (key.split('/')[0] === '.blobstore') return "keys under '.blobstore/' belong to the blob store";
  return undefined;
}
