/**
 * The bodies `POST /hooks/new-data` understands, and how each becomes "start modelPipeline for
 * model M on data version V". Pure: no I/O, so every shape and mapping is unit-tested.
 *
 * - Our own: `{ model, source?, dataVersion? }` (source is informational: the worker always
 *   reads the definition's data.source).
 * - S3 event notifications (`Records[]`, also inside an SNS `Notification`): each
 *   `ObjectCreated:*` record whose bucket and key match a route becomes a run on exactly that
 *   object (at its versionId when the record has one). Its data version is not the event's
 *   version: the server hashes the object's bytes (new-data-routes.ts), so the same bytes are one
 *   run and different bytes never share one, whatever the events say.
 * - GCS Pub/Sub push (`message.attributes` + base64 `message.data` object resource):
 *   `OBJECT_FINALIZE` on a matching bucket and name becomes a run on exactly that object and
 *   generation, read through GCS's S3-compatible XML API and versioned by its bytes like S3.
 * Other events of these services (deletes, test events) are ignored, not errors.
 */
import { z } from 'zod';
import { ModelName } from '../spec/schema.js';
import { formatPath } from '../spec/problems.js';
import type { DataObject } from '../data/data-source-url.js';
import { readsGcs, type ObjectRoute, type ServedPipeline } from './api-config.js';

/** A GCS generation: a positive int64, as GCS writes it (no leading zeros, so it compares as a string). */
const GENERATION = /^[1-9][0-9]{0,18}$/;

/** Safe in a workflow id and readable; no '/' (the id's separator). */
const DATA_VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:=+-]{0,127}$/;

export const DirectNewDataEvent = z.strictObject({
  model: ModelName,
  source: z.string().min(1).max(2048).optional(),
  dataVersion: z.string().regex(DATA_VERSION_PATTERN, { error: 'expected 1-128 letters, digits, ".", "_", ":", "=", "+" or "-", starting with a letter or digit' }).optional(),
});

const S3Record = z.looseObject({
  eventName: z.string().min(1),
  s3: z.looseObject({
    bucket: z.looseObject({ name: z.string().min(1) }),
    object: z.looseObject({
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      eTag: z.string().min(1).optional(),
      versionId: z.string().min(1).optional(),
      sequencer: z.string().min(1).optional(),
    }),
  }),
});
export const S3Notification = z.looseObject({ Records: z.array(S3Record).min(1) });

export const GcsPushMessage = z.looseObject({
  message: z.looseObject({
    attributes: z.looseObject({
      eventType: z.string().min(1),
      bucketId: z.string().min(1),
      objectId: z.string().min(1),
      objectGeneration: z.string().regex(GENERATION, { error: 'expected the generation as a string of digits' }).optional(),
    }),
    /** base64 of the object resource (JSON), when the notification's payload format is JSON_API_V1. */
    data: z.string().optional(),
    messageId: z.string().optional(),
  }),
  subscription: z.string().optional(),
});

export const GcsObjectResource = z.looseObject({
  bucket: z.string().min(1),
  name: z.string().min(1),
  generation: z.string().regex(GENERATION, { error: 'expected the generation as a string of digits' }),
  size: z.string({ error: 'expected the size as a string of digits' }).regex(/^\d+$/, { error: 'expected the size as a string of digits' }),
  md5Hash: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, { error: 'expected base64' }).optional(),
});

/** One object that appeared in a bucket. */
export interface ObjectNotice {
  store: 's3' | 'gcs';
  bucket: string;
  key: string;
  /** What the event calls this version (S3: versionId, eTag or sequencer; GCS: generation). */
  dataVersion: string;
  /** S3 only: the version to read, when the bucket keeps versions. */
  versionId?: string;
  /** GCS only: the generation to read. */
  generation?: string;
}

export type NewDataEvent =
  | { kind: 'direct'; model: string; source?: string; dataVersion?: string }
  | { kind: 'objects'; notices: ObjectNotice[]; ignored: string[] };

/** One run to start (or find already started). */
export interface RunRequest {
  pipeline: ServedPipeline;
  /** Undefined: the server hashes the bytes: `object`'s when set, else the definition's data source (as `mlops run` does). */
  dataVersion?: string;
  /** The object (at its S3 version or GCS generation) the run trains on instead of the definition's data source. */
  object?: DataObject;
  /** Where the data came from, for the run's summary. */
  origin: string;
}

export class NewDataEventError extends Error {
  override readonly name = 'NewDataEventError';
  constructor(message: string, readonly status: 400 | 404) {
    super(message);
  }
}

/** Recognises the shape by its top-level fields and validates it; errors name the field. */
export function parseNewDataEvent(body: unknown): NewDataEvent {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new NewDataEventError('expected a JSON object', 400);
  const fields = body as Record<string, unknown>;
  if (fields.Type === 'Notification' && typeof fields.Message === 'string') return parseSnsNotification(fields.Message);
  if (fields.Event === 's3:TestEvent') return { kind: 'objects', notices: [], ignored: ['s3:TestEvent'] };
  if ('Records' in fields) return parseS3(fields);
  if ('message' in fields) return parseGcs(fields);
  const direct = check(DirectNewDataEvent, body, 'new-data event');
  return { kind: 'direct', ...direct };
}

/** Every pipeline that wants this event (several models may train on one bucket). */
export function routeNewDataEvent(event: NewDataEvent, pipelines: readonly ServedPipeline[]): { runs: RunRequest[]; ignored: string[] } {
  if (event.kind === 'direct') {
    const pipeline = pipelines.find((p) => p.model === event.model);
    if (!pipeline) throw new NewDataEventError(`model: no pipeline for "${event.model}" on this server (serving: ${pipelines.map((p) => p.model).join(', ')})`, 404);
    return { runs: [{ pipeline, dataVersion: event.dataVersion, origin: event.source ?? 'webhook' }], ignored: [] };
  }
  const runs: RunRequest[] = [];
  const ignored = [...event.ignored];
  for (const notice of event.notices) {
    const url = `${notice.store === 's3' ? 's3' : 'gs'}://${notice.bucket}/${notice.key}`;
    let matching = pipelines.filter((p) => p.objects.some((route) => routeMatches(route, notice)));
    if (matching.length === 0) ignored.push(`${url}: no pipeline routes this bucket and prefix`);
    if (notice.store === 'gcs') {
      // A route for both stores, on a pipeline that cannot reach GCS: say so rather than fail the read.
      for (const pipeline of matching.filter((p) => !readsGcs(p.storage))) ignored.push(`${url}: ${pipeline.model} has no storage.endpoint to read GCS objects from (GCS's XML API)`);
      matching = matching.filter((p) => readsGcs(p.storage));
    }
    for (const pipeline of matching) {
      const run: RunRequest = notice.store === 's3'
        ? { pipeline, object: { bucket: notice.bucket, key: notice.key, ...(notice.versionId !== undefined ? { versionId: notice.versionId } : {}) }, origin: notice.versionId === undefined ? url : `${url} (version ${notice.versionId})` }
        : { pipeline, object: { bucket: notice.bucket, key: notice.key, generation: notice.generation! }, origin: `${url} (generation ${notice.generation})` };
      // One event may list one object twice; one run request per model and object version.
      if (!runs.some((r) => r.pipeline === pipeline && r.origin === run.origin && r.dataVersion === run.dataVersion)) runs.push(run);
    }
  }
  return { runs, ignored };
}

function routeMatches(route: ObjectRoute, notice: ObjectNotice): boolean {
  return (route.store === undefined || route.store === notice.store) && route.bucket === notice.bucket && notice.key.startsWith(route.prefix);
}

function parseS3(body: unknown): NewDataEvent {
  const { Records } = check(S3Notification, body, 'S3 event');
  const notices: ObjectNotice[] = [];
  const ignored: string[] = [];
  Records.forEach((record, i) => {
    const { bucket, object } = record.s3;
    let key: string;
    try {
      // S3 URL-encodes keys in events, with '+' for a space.
      key = decodeURIComponent(object.key.replace(/\+/g, ' '));
    } catch {
      throw new NewDataEventError(`invalid S3 event: Records[${i}].s3.object.key: not a URL-encoded key`, 400);
    }
    if (!record.eventName.startsWith('ObjectCreated:')) return void ignored.push(`s3://${bucket.name}/${key}: ${record.eventName} is not ObjectCreated:*`);
    if (key.endsWith('/')) return void ignored.push(`s3://${bucket.name}/${key}: a folder marker`);
    const version = object.versionId ?? object.eTag ?? object.sequencer;
    if (version === undefined) throw new NewDataEventError(`invalid S3 event: Records[${i}].s3.object: expected versionId, eTag or sequencer (the data version)`, 400);
    notices.push({ store: 's3', bucket: bucket.name, key, dataVersion: dataVersionKey(version), ...(object.versionId !== undefined ? { versionId: object.versionId } : {}) });
  });
  return { kind: 'objects', notices, ignored };
}

function parseGcs(body: unknown): NewDataEvent {
  const { message } = check(GcsPushMessage, body, 'GCS notification');
  const { eventType, bucketId, objectId } = message.attributes;
  if (eventType !== 'OBJECT_FINALIZE') return { kind: 'objects', notices: [], ignored: [`gs://${bucketId}/${objectId}: ${eventType} is not OBJECT_FINALIZE`] };
  let generation = message.attributes.objectGeneration;
  if (message.data !== undefined) {
    let resource: unknown;
    try {
      resource = JSON.parse(Buffer.from(message.data, 'base64').toString('utf8'));
    } catch {
      throw new NewDataEventError('invalid GCS notification: message.data: expected base64 of the object resource (JSON)', 400);
    }
    const object = check(GcsObjectResource, resource, 'GCS notification', 'message.data');
    generation ??= object.generation;
  }
  if (generation === undefined) throw new NewDataEventError('invalid GCS notification: message.attributes.objectGeneration: required (the data version)', 400);
  if (objectId.endsWith('/')) return { kind: 'objects', notices: [], ignored: [`gs://${bucketId}/${objectId}: a folder marker`] };
  return { kind: 'objects', notices: [{ store: 'gcs', bucket: bucketId, key: objectId, dataVersion: dataVersionKey(generation), generation }], ignored: [] };
}

function parseSnsNotification(message: string): NewDataEvent {
  let inner: unknown;
  try {
    inner = JSON.parse(message);
  } catch {
    throw new NewDataEventError('invalid SNS notification: Message: expected a JSON S3 event', 400);
  }
  return parseNewDataEvent(inner);
}

/** An object identifier as a workflow-id-safe data version: no quotes, no '/', at most 128 characters. */
export function dataVersionKey(raw: string): string {
  return raw.replace(/^"|"$/g, '').replace(/[^A-Za-z0-9._:=+-]/g, '_').slice(0, 128);
}

function check<T extends z.ZodType>(schema: T, value: unknown, what: string, prefix?: string): z.output<T> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const where = formatPath([...(prefix ? [prefix] : []), ...issue.path]) || '(root)';
    if (issue.code === 'unrecognized_keys') return `${where}: unknown field(s) ${listSome(issue.keys.map((key) => formatPath([key])), ', ')}`;
    if (issue.code === 'invalid_type' && issue.input === undefined) return `${where}: required`;
    return `${where}: ${issue.message}`;
  });
  throw new NewDataEventError(`invalid ${what}: ${listSome(problems, '; ')}`, 400);
}

/** The sender chooses how many keys and records there are: list a few, count the rest, so a 4xx stays short. */
function listSome(items: string[], separator: string): string {
  const MAX_LISTED = 5;
  const more = items.length > MAX_LISTED ? `${separator}and ${items.length - MAX_LISTED} more` : '';
  return `${items.slice(0, MAX_LISTED).join(separator)}${more}`;
}
