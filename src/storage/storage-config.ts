/**
 * Where a pipeline (or the gateway, or the API) keeps the bytes it shares:
 *   storage: { url: file:///srv/mlops | s3://bucket/prefix, endpoint?, region?, forcePathStyle? }
 * Pure (no I/O, no Node modules) so the pipeline schema, and so the workflow bundle, can use it.
 * There is deliberately no place for credentials: they would end up in workflow history.
 */
import { z } from 'zod';
import { quoteValue as show } from '../spec/problems.js';

export type StorageLocation = { kind: 'file'; path: string } | { kind: 's3'; bucket: string; prefix: string };

// S3's rule (lower-case letters, digits, '.', '-'), plus '_' which GCS bucket names may hold.
const BUCKET = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/;
/** Whether `name` can be a bucket here (S3's rule, plus '_' for GCS). */
export function isBucketName(name: string): boolean {
  return BUCKET.test(name);
}

const CREDENTIAL_KEYS = ['accessKeyId', 'secretAccessKey', 'sessionToken', 'credentials', 'accessKey', 'secretKey', 'profile'];

/** The location a storage URL names, or a sentence saying what is wrong with it. */
export function parseStorageUrl(url: string): StorageLocation | string {
  if (url.startsWith('file://')) {
    const rest = url.slice('file://'.length);
    if (!rest.startsWith('/')) return `expected an absolute file URL such as file:///srv/mlops (three slashes), got ${show(url)}`;
    if (/%00|\0/.test(rest)) return `a file URL must not contain a NUL character, got ${show(url)}`;
    const decoded = safeDecode(rest);
    if (decoded === undefined) return `expected a percent-encoded file URL, got ${show(url)}`;
    if (decoded.split('/').includes('..')) return `a file URL must not contain '..', got ${show(url)}`;
    return { kind: 'file', path: decoded.length > 1 ? decoded.replace(/\/+$/, '') : decoded };
  }
  if (url.startsWith('s3://')) {
    const rest = url.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash === -1 ? rest : rest.slice(0, slash);
    const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
    if (!BUCKET.test(bucket)) return `expected s3://<bucket>/<prefix> with a bucket name of 3 to 63 lower-case letters, digits, '.', '-' or '_', got ${show(url)}`;
    if (prefix !== '' && prefix.split('/').some((part) => part === '' || part === '.' || part === '..')) {
      return `the key prefix of an s3:// URL must not contain '..', '.' or '//', got ${show(url)}`;
    }
    if (prefix.includes('\0')) return `an s3:// URL must not contain a NUL character, got ${show(url)}`;
    return { kind: 's3', bucket, prefix };
  }
  return `expected a storage URL starting with file:/// or s3://, got ${show(url)}`;
}

export const StorageUrl = z.string({ error: (issue) => `expected a storage URL (file:///… or s3://bucket/prefix), got ${show(issue.input)}` }).check((ctx) => {
  const parsed = parseStorageUrl(ctx.value);
  if (typeof parsed === 'string') ctx.issues.push({ code: 'custom', input: ctx.value, message: parsed });
});

export const StorageConfig = z
  .strictObject(
    {
      url: StorageUrl,
      /** An S3-compatible server other than AWS (MinIO, SeaweedFS, GCS's https://storage.googleapis.com, R2). */
      endpoint: z.url({ protocol: /^https?$/, error: (issue) => `expected the S3 endpoint as an http(s) URL such as http://127.0.0.1:8333, got ${show(issue.input)}` }).optional(),
      /** Defaults to AWS_REGION, then AWS_DEFAULT_REGION; with an endpoint and neither, us-east-1. */
      region: z.string().min(1, { error: 'expected a region name such as eu-west-1' }).optional(),
      /** Path-style URLs (http://host/bucket/key); the default is on with an endpoint, off for AWS. */
      forcePathStyle: z.boolean({ error: (issue) => `expected true or false, got ${show(issue.input)}` }).optional(),
    },
    {
      error: (issue) => {
        if (issue.code !== 'unrecognized_keys') return undefined;
        const keys = (issue as { keys?: string[] }).keys ?? [];
        if (keys.some((key) => CREDENTIAL_KEYS.includes(key))) {
          return `credentials do not belong in the definition (they would be stored in workflow history): the worker reads them from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the instance role. Remove ${keys.map(show).join(', ')}`;
        }
        return `unknown storage setting ${keys.map(show).join(', ')}; expected url, endpoint, region or forcePathStyle`;
      },
    },
  )
  .superRefine((config, ctx) => {
    const location = parseStorageUrl(config.url);
    if (typeof location !== 'string' && location.kind === 'file') {
      for (const key of ['endpoint', 'region', 'forcePathStyle'] as const) {
        if (config[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `${key} applies to s3:// storage only, not to ${show(config.url)}` });
      }
    }
  });

export type StorageConfig = z.infer<typeof StorageConfig>;

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
