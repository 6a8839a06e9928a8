/**
 * `POST /hooks/new-data`: a signed notice that a model has new data, answered 202 with the
 * workflow id of its run. In order: signature (401), replayed id (409), JSON (400), the event's
 * shape (400 naming the field), the route table (404 for an unknown model; 200 and nothing
 * started for objects no pipeline routes), then the start under the data version's business
 * key, where a run that exists already is `duplicate: true` and nothing new starts.
 */
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { sha256File } from '../data/content-hash.js';
import type { ApiServerSettings } from './api-config.js';
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
  for (const request of routed.runs) {
    let dataVersion = request.dataVersion;
    let expectedDataVersion: string | undefined;
    if (dataVersion === undefined) {
      // No version in the event: the data file's hash, the same key `mlops run` uses.
      try {
        dataVersion = expectedDataVersion = (await sha256File(request.pipeline.dataSource)).sha256.slice(0, 16);
      } catch (err) {
        return { status: 500, body: { error: `cannot read ${request.pipeline.model}'s data.source to version it: ${(err as Error).message}` } };
      }
    }
    try {
      const run = await startPipelineRun(options.client, options.taskQueue, { model: request.pipeline.model, pipelineFile: request.pipeline.file, dataVersion, expectedDataVersion, origin: request.origin });
      options.log(`new-data: ${run.duplicate ? 'already started' : 'started'} ${run.workflowId} (${request.origin})`);
      runs.push(run);
    } catch (err) {
      return { status: 503, body: { error: `cannot start ${request.pipeline.model}'s pipeline: ${(err as Error).message}`, runs } };
    }
  }
  const single = runs.length === 1 ? runs[0] : undefined;
  return { status: 202, body: { ...single, runs, ...(routed.ignored.length > 0 ? { ignored: routed.ignored } : {}) } };
}
