/**
 * `POST /hooks/new-data`: a signed notice that a model has new data, answered 202 with the
 * workflow id of its run. In order: signature (401), replayed id (409), JSON (400), the event's
 * shape (400 naming the field), the route table (404 for an unknown model; 200 and nothing
 * started for objects no pipeline routes), then the start under the data version's business
 * key, where a run that exists already is `duplicate: true` and nothing new starts.
 *
 * An S3 object event is versioned by the object's bytes, not by what the event says: the object
 * (at the event's versionId) is downloaded here, into the snapshot area, and hashed; the run is
 * keyed by that sha256 and told to read that object and version. Downloading before answering
 * is the price of the guarantee (same bytes: one run; different bytes: never one run), and the
 * download is the run's snapshot: a worker sharing the data directory does not read it again,
 * any other worker reads the same version and checks it against the sha256.
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { currentDataVersion, snapshotDataSource } from '../data/data-source-snapshot.js';
import type { DataObject } from '../data/data-source-url.js';
import { DatasetError } from '../data/dataset-error.js';
import { DATA_VERSION_LENGTH } from '../data/snapshot.js';
import type { ApiServerSettings, ServedPipeline } from './api-config.js';
import { authenticateDelivery } from './delivery-auth.js';
import { NewDataEventError, parseNewDataEvent, routeNewDataEvent, type RunRequest } from './new-data-event.js';
import type { ReplayGuard } from './replay-guard.js';
import { startPipelineRun, type StartedRun } from './start-pipeline-run.js';

export interface NewDataRouteOptions {
  settings: ApiServerSettings;
  client: Client;
  taskQueue: string;
  replay: ReplayGuard;
  log: (line: string) => void;
  /** Where data is snapshotted (the workers' MLOPS_DATA_DIR when they share a host). */
  dataDir: string;
  /** sha256 of an event's object (default: snapshotted into `dataDir` through the blob store). */
  hashObject?: ObjectHasher;
}

/** The sha256 of the bytes an S3 object holds at its version. */
export type ObjectHasher = (pipeline: ServedPipeline, object: DataObject) => Promise<string>;

/** Downloads the object into `dataDir`'s snapshot area (where the run will find it) and returns its sha256. */
export function snapshottingObjectHasher(dataDir: string): ObjectHasher {
  return async (pipeline, object) => (await snapshotDataSource(pipeline.dataSource, dataDir, { format: pipeline.dataFormat, storage: pipeline.storage, object })).sha256;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export async function newDataRoutes(app: FastifyInstance, options: NewDataRouteOptions): Promise<void> {
  const { settings, replay } = options;
  // The signature covers the exact bytes, so the body stays raw until it is verified.
  // (SNS posts JSON as text/plain, so every content type is taken as bytes.)
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: settings.bodyLimitBytes }, (_request, body, done) => done(null, body));

  app.post('/hooks/new-data', { bodyLimit: settings.bodyLimitBytes }, async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const auth = authenticateDelivery(request.headers, body, settings.secrets, { nowSeconds: Math.floor(Date.now() / 1000), toleranceSeconds: settings.toleranceSeconds });
    if (!auth.ok) return reply.code(401).send({ error: auth.message });
    const id = auth.deliveryId;
    if (id !== undefined && !replay.claim(id)) {
      return reply.code(409).send({ error: `replayed delivery: id ${id} was already received (send new deliveries with a new id)` });
    }
    let answer: Answer | undefined;
    try {
      answer = await handleEvent(body, options);
      return reply.code(answer.status).send(answer.body);
    } finally {
      if (id !== undefined) {
        if (answer && answer.status >= 200 && answer.status < 300) replay.confirm(id);
        else replay.release(id);
      }
    }
  });
}

// JSON is UTF-8 (RFC 8259 §8.1). A lenient decode would turn bad bytes into U+FFFD, so a
// signed key or version would be read as something its sender never wrote. The BOM is kept,
// so JSON.parse refuses it as before.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

async function handleEvent(body: Buffer, options: NewDataRouteOptions): Promise<Answer> {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { status: 400, body: { error: 'malformed JSON: the body is not UTF-8' } };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { status: 400, body: { error: `malformed JSON: ${(err as Error).message}` } };
  }
  let routed: { runs: RunRequest[]; ignored: string[] };
  try {
    routed = routeNewDataEvent(parseNewDataEvent(json), options.settings.pipelines);
  } catch (err) {
    if (err instanceof NewDataEventError) return { status: err.status, body: { error: err.message } };
    throw err;
  }
  if (routed.runs.length === 0) return { status: 200, body: { runs: [], ignored: routed.ignored } };

  const runs: StartedRun[] = [];
  const hashObject = options.hashObject ?? snapshottingObjectHasher(options.dataDir);
  // Several pipelines may route one object: it is read once per storage setting.
  const objectHashes = new Map<string, Promise<string>>();
  for (const request of routed.runs) {
    let dataVersion = request.dataVersion;
    let expectedDataVersion: string | undefined;
    if (request.object !== undefined) {
      const { object, pipeline } = request;
      const cacheKey = JSON.stringify([object.bucket, object.key, object.versionId ?? null, object.generation ?? null, pipeline.storage ?? null]);
      try {
        if (!objectHashes.has(cacheKey)) objectHashes.set(cacheKey, hashObject(pipeline, object));
        // The full sha256: the run checks its snapshot against it, and finds the one taken here.
        expectedDataVersion = await objectHashes.get(cacheKey)!;
        dataVersion = expectedDataVersion.slice(0, DATA_VERSION_LENGTH);
      } catch (err) {
        const answer = unreadableObject(request.origin, err);
        return { ...answer, body: { ...answer.body, runs } };
      }
    } else if (dataVersion === undefined) {
      // No version in the event: the data's hash, the same key `mlops run` uses.
      try {
        dataVersion = expectedDataVersion = (await currentDataVersion(request.pipeline.dataSource, options.dataDir, { format: request.pipeline.dataFormat, storage: request.pipeline.storage })).dataVersion;
      } catch (err) {
        return { status: 500, body: { error: `cannot read ${request.pipeline.model}'s data.source to version it: ${(err as Error).message}` } };
      }
    }
    try {
      const run = await startPipelineRun(options.client, options.taskQueue, {
        model: request.pipeline.model, pipelineFile: request.pipeline.file, dataVersion, expectedDataVersion, dataObject: request.object, origin: request.origin,
      });
      options.log(`new-data: ${run.duplicate ? 'already started' : 'started'} ${run.workflowId} (${request.origin})`);
      runs.push(run);
    } catch (err) {
      return { status: 503, body: { error: `cannot start ${request.pipeline.model}'s pipeline: ${(err as Error).message}`, runs } };
    }
  }
  const single = runs.length === 1 ? runs[0] : undefined;
  return { status: 202, body: { ...single, runs, ...(routed.ignored.length > 0 ? { ignored: routed.ignored } : {}) } };
}

/**
 * An object that is gone (or never was) is 422: redelivering the event cannot change that. A
 * refusal by the S3 server (credentials, bucket) is 500, and a network error 503: both worth a retry.
 */
function unreadableObject(origin: string, err: unknown): Answer {
  const message = `cannot read ${origin} to version it by its bytes: ${(err as Error).message}`;
  if (err instanceof DatasetError) return { status: err.problem === 'not_found' ? 422 : 500, body: { error: message } };
  return { status: 503, body: { error: message } };
}
