/**
 * The inference path: pick a version (weights, sticky key, or pinned), forward the body bytes
 * unchanged, answer with the upstream's status and body. Bodies stay Buffers here: nothing is
 * parsed before the answer is sent. Binary tensor bodies pass through as they are, with their
 * Inference-Header-Content-Length header both ways. Model metadata and readiness come from the
 * version that takes the most traffic (or the one named in the path).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { REQUEST_ID_HEADER, ROUTING_KEY_HEADER, SERVED_VERSION_HEADER, type RouteEntry } from './gateway-contract.js';
import type { UpstreamPools } from './gateway-upstreams.js';
import { serverMetadata } from './inference-protocol.js';
import { HEADER_LENGTH_HEADER } from './oip-binary.js';
import type { RouteTableStore } from './route-table-store.js';
import { recordServedRequest, recordShadowRequest, type ServedRequest, type TrafficSinks } from './traffic-recorder.js';
import { pickRoute } from './traffic-split.js';

export interface ServingDependencies {
  routes: RouteTableStore;
  upstreams: UpstreamPools;
  sinks: TrafficSinks;
  /** Where mirrored requests' answers go (the shadow log); none: mirroring is off. */
  shadowSinks?: Pick<TrafficSinks, 'predictionLog' | 'onError'>;
  now: () => number;
  /** Largest request body accepted, bytes. */
  bodyLimit: number;
  isReady: () => boolean;
}

const MAX_REQUEST_ID_LENGTH = 200;
/**
 * Mirrored requests waiting for the shadow version at once. A shadow that hangs must not pile up
 * requests in the gateway: beyond this many, requests are not mirrored (the shadow analysis then
 * sees too few pairs and fails its minSamples gate).
 */
export const MAX_MIRRORS_IN_FLIGHT = 256;

type InferRequest = FastifyRequest<{ Params: { name: string; version?: string } }>;

export async function servingRoutes(app: FastifyInstance, deps: ServingDependencies): Promise<void> {
  // Inference bodies are passed through as bytes, whatever their content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.bodyLimit }, (_request, body, done) => done(null, body));

  const mirrors = { inFlight: 0 };
  app.get('/v2', async () => serverMetadata('mlops-gateway'));
  app.get('/v2/health/live', async () => ({ live: true }));
  app.get('/v2/health/ready', async (_request, reply) => (deps.isReady() ? { ready: true } : reply.code(503).send({ ready: false })));

  const modelGet = (suffix: '' | '/ready') => (request: InferRequest, reply: FastifyReply) => {
    const model = request.params.name;
    const split = deps.routes.split(model);
    if (!split || split.table.routes.length === 0) return reply.code(404).send({ error: `model ${model} is not behind the gateway` });
    const route = request.params.version === undefined ? busiestRoute(split.table.routes) : split.byVersion.get(Number(request.params.version));
    if (!route) return reply.code(404).send({ error: `model ${model} has no version ${request.params.version} behind the gateway` });
    return forwardGet(reply, model, route, suffix, deps);
  };
  app.get('/v2/models/:name', modelGet(''));
  app.get('/v2/models/:name/versions/:version', modelGet(''));
  app.get('/v2/models/:name/ready', modelGet('/ready'));
  app.get('/v2/models/:name/versions/:version/ready', modelGet('/ready'));

  app.post('/v2/models/:name/infer', (request: InferRequest, reply) => {
    const model = request.params.name;
    const split = deps.routes.split(model);
    const route = split && pickRoute(split, headerValue(request, ROUTING_KEY_HEADER));
    if (!route) return reply.code(503).send({ error: `no version of ${model} takes traffic` });
    const mirror = split.table.mirror;
    const mirrored = mirror && deps.shadowSinks && mirror.version !== route.version && mirrors.inFlight < MAX_MIRRORS_IN_FLIGHT && Math.random() * 100 < mirror.percent;
    // The slot is taken now, not when the mirror leaves: the champion's answer comes first, and the cap must hold meanwhile.
    if (mirrored) mirrors.inFlight++;
    return forward(request, reply, model, route, deps, mirrored ? { route: split.byVersion.get(mirror.version)!, mirrors } : undefined);
  });

  app.post('/v2/models/:name/versions/:version/infer', (request: InferRequest, reply) => {
    const model = request.params.name;
    const route = deps.routes.split(model)?.byVersion.get(Number(request.params.version));
    if (!route) return reply.code(404).send({ error: `model ${model} has no version ${request.params.version} behind the gateway` });
    return forward(request, reply, model, route, deps);
  });
}

async function forward(request: InferRequest, reply: FastifyReply, model: string, route: RouteEntry, deps: ServingDependencies, shadow?: { route: RouteEntry; mirrors: { inFlight: number } }): Promise<FastifyReply> {
  const clientRequestId = headerValue(request, REQUEST_ID_HEADER);
  // A client's id is kept when it is a sane size: it is logged and indexed for feedback.
  const requestId = clientRequestId !== undefined && clientRequestId.length <= MAX_REQUEST_ID_LENGTH ? clientRequestId : randomUUID();
  const requestHeaderLength = headerValue(request, HEADER_LENGTH_HEADER);
  const call: InferCall = {
    requestId,
    requestBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
    contentType: request.headers['content-type'] ?? (requestHeaderLength === undefined ? 'application/json' : 'application/octet-stream'),
    requestHeaderLength,
  };
  try {
    reply.header(SERVED_VERSION_HEADER, String(route.version)).header(REQUEST_ID_HEADER, requestId);
    const { served, contentType } = await callVersion(model, route, call, deps, 'version');
    if (served.gatewayError !== undefined) {
      reply.code(502).send({ error: served.gatewayError });
    } else {
      if (served.responseHeaderLength !== undefined) reply.header(HEADER_LENGTH_HEADER, served.responseHeaderLength);
      reply.code(served.status).header('content-type', contentType ?? 'application/json').send(served.responseBody);
    }
    recordServedRequest(served, deps.sinks);
    return reply;
  } finally {
    // The client has its answer (from `route`); the shadow's is only logged, under the same request id.
    // Sent whatever happened above, so the slot taken for it is always given back.
    if (shadow) {
      void callVersion(model, shadow.route, call, deps, 'shadow version').then(({ served: mirrored }) => {
        shadow.mirrors.inFlight--;
        recordShadowRequest(mirrored, deps.shadowSinks!);
      });
    }
  }
}

interface InferCall {
  requestId: string;
  requestBody: Buffer;
  contentType: string;
  requestHeaderLength: string | undefined;
}

/** One inference call to a version's model server, as the logs record it; never throws (no answer: a 502 with the reason). */
async function callVersion(model: string, route: RouteEntry, call: InferCall, deps: ServingDependencies, who: string): Promise<{ served: ServedRequest; contentType?: string }> {
  const { requestId, requestBody, requestHeaderLength } = call;
  const timestampMs = deps.now();
  const upstream = deps.upstreams.get(route.url);
  try {
    const answer = await upstream.pool.request({
      method: 'POST',
      path: `${upstream.basePath}/v2/models/${encodeURIComponent(model)}/infer`,
      headers: {
        'content-type': call.contentType,
        [REQUEST_ID_HEADER]: requestId,
        ...(requestHeaderLength === undefined ? {} : { [HEADER_LENGTH_HEADER]: requestHeaderLength }),
      },
      body: requestBody,
    });
    const responseBody = Buffer.from(await answer.body.arrayBuffer());
    const latencyMs = deps.now() - timestampMs;
    const contentType = answer.headers['content-type'];
    const responseHeaderLength = answer.headers[HEADER_LENGTH_HEADER];
    return {
      served: {
        model, version: route.version, requestId, timestampMs, latencyMs, status: answer.statusCode, requestBody, responseBody,
        requestHeaderLength, responseHeaderLength: typeof responseHeaderLength === 'string' ? responseHeaderLength : undefined,
      },
      ...(typeof contentType === 'string' && { contentType }),
    };
  } catch (error) {
    const latencyMs = deps.now() - timestampMs;
    const message = `${who} ${route.version} of ${model} did not answer: ${(error as Error).message}`;
    return { served: { model, version: route.version, requestId, timestampMs, latencyMs, status: 502, requestBody, requestHeaderLength, responseBody: undefined, gatewayError: message } };
  }
}

/** Metadata and readiness of a model: its upstream's answer, passed through. */
async function forwardGet(reply: FastifyReply, model: string, route: RouteEntry, suffix: string, deps: ServingDependencies): Promise<FastifyReply> {
  const upstream = deps.upstreams.get(route.url);
  reply.header(SERVED_VERSION_HEADER, String(route.version));
  try {
    const answer = await upstream.pool.request({ method: 'GET', path: `${upstream.basePath}/v2/models/${encodeURIComponent(model)}${suffix}` });
    const body = Buffer.from(await answer.body.arrayBuffer());
    const contentType = answer.headers['content-type'];
    return reply.code(answer.statusCode).header('content-type', typeof contentType === 'string' ? contentType : 'application/json').send(body);
  } catch (error) {
    return reply.code(502).send({ error: `version ${route.version} of ${model} did not answer: ${(error as Error).message}` });
  }
}

/** The route with the most weight; on a tie (or before any weights) the oldest version, the one most likely established. */
function busiestRoute(routes: readonly RouteEntry[]): RouteEntry | undefined {
  let best: RouteEntry | undefined;
  for (const route of routes) {
    if (best === undefined || route.weight > best.weight || (route.weight === best.weight && route.version < best.version)) best = route;
  }
  return best;
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}
