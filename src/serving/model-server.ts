/**
 * The model server: one version of one model behind the Open Inference Protocol v2 REST API
 * (KServe v2), with Prometheus metrics and optional fault injection for drills.
 *
 *   GET  /v2                                         server metadata (extensions: binary_tensor_data)
 *   GET  /v2/health/live | /v2/health/ready
 *   GET  /v2/models/{name}[/versions/{v}]            model metadata
 *   GET  /v2/models/{name}[/versions/{v}]/ready
 *   POST /v2/models/{name}[/versions/{v}]/infer      one FP64/BYTES input per feature, columnar
 *   GET  /metrics                                    mlops_model_* series (own prom-client registry)
 *
 * Errors are `{ error: "..." }`: 400 for a request that cannot be scored (naming the input and
 * what was expected), 404 for a model or version this server does not serve.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { LinearModelArtifact } from '../train/artifact.js';
import { linearScoringModel } from '../model/linear-scoring-model.js';
import type { ScoringModel } from '../model/scoring-model.js';
import { REQUEST_ID_HEADER } from './gateway-contract.js';
import { InferenceInputError } from './inference-model.js';
import {
  decodeInferenceInputs,
  inferenceRequestSchema,
  inferenceResponse,
  inferenceResponseSchema,
  modelMetadata,
  OUTPUT_TENSOR_NAMES,
  requestedOutputs,
  serverMetadata,
  type InferenceRequest,
} from './inference-protocol.js';
import { binaryOutputNames, encodeBinaryResponse, HEADER_LENGTH_HEADER, parseHeaderLength, resolveBinaryTensors, splitInferenceBody } from './oip-binary.js';
import { createFaultInjector, INJECTED_FAULT_MESSAGE, type FaultOptions } from './model-server-faults.js';
import { createModelServerMetrics } from './model-server-metrics.js';

export interface ModelServerOptions {
  model: string;
  version: number;
  /** The model to serve: a linear artifact, or any format opened through src/model. */
  artifact: LinearModelArtifact | ScoringModel;
  /** The artifact's recorded hash; shown in the model metadata so a deployer can check what runs. */
  artifactSha256: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** For demos and drills only: see model-server-faults.ts. */
  faults?: FaultOptions;
  /** fastify's pino request log. Default off. */
  logger?: boolean;
  /** Largest accepted request body. Default 8 MiB (a batch of tens of thousands of rows). */
  bodyLimitBytes?: number;
  /** Node process series (CPU, memory, event loop) on /metrics. Default on. */
  processMetrics?: boolean;
}

export interface RunningModelServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const DEFAULT_BODY_LIMIT_BYTES = 8 * 1024 * 1024;
const MAX_ERROR_LENGTH = 1000;

type ModelParams = { name: string; version?: string };

export async function startModelServer(options: ModelServerOptions): Promise<RunningModelServer> {
  const { model, version } = options;
  const host = options.host ?? '127.0.0.1';
  const app = buildModelServerApp(options);
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error(`model server for "${model}" v${version} has no TCP address`);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    close: () => (closing ??= app.close()),
  };
}

/** The fastify app, not yet listening (tests may `inject` into it). */
export function buildModelServerApp(options: ModelServerOptions): FastifyInstance {
  const { model, version, artifact } = options;
  const scorer = 'scoreColumns' in artifact ? artifact : linearScoringModel(artifact);
  const metadata = modelMetadata(scorer, model, version, options.artifactSha256, scorer.target ?? '');
  const metrics = createModelServerMetrics(model, version, { processMetrics: options.processMetrics });
  const faults = createFaultInjector(options.faults);
  let ready = true;

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    // No coercion and no silent removal: a request is scored as sent or refused.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  app.addHook('preClose', async () => {
    ready = false;
  });

  /** The 404 message when the path names another model or version, else undefined. */
  const notServed = ({ name, version: requested }: ModelParams): string | undefined => {
    if (name !== model) return `unknown model ${JSON.stringify(name)}: this server serves "${model}"`;
    if (requested !== undefined && requested !== String(version)) {
      return `unknown version ${JSON.stringify(requested)} of model "${model}": this server serves version ${version}`;
    }
    return undefined;
  };

  app.get('/v2', async () => serverMetadata('mlops-model-server'));
  app.get('/v2/health/live', async () => ({ live: true }));
  app.get('/v2/health/ready', async (_request, reply) => reply.code(ready ? 200 : 503).send({ ready }));

  const sendMetadata = async (request: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) => {
    const missing = notServed(request.params);
    return missing ? reply.code(404).send({ error: missing }) : metadata;
  };
  app.get('/v2/models/:name', sendMetadata);
  app.get('/v2/models/:name/versions/:version', sendMetadata);

  const sendModelReady = async (request: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) => {
    const missing = notServed(request.params);
    return missing ? reply.code(404).send({ error: missing }) : reply.code(ready ? 200 : 503).send({ name: model, ready });
  };
  app.get('/v2/models/:name/ready', sendModelReady);
  app.get('/v2/models/:name/versions/:version/ready', sendModelReady);

  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  // Inference routes in their own scope, so only they are counted and timed.
  void app.register(async (inference) => {
    inference.addHook('onResponse', async (_request, reply) => metrics.recordRequest(reply.statusCode, reply.elapsedTime / 1000));
    // Clients need not say application/json (tritonclient sends no content type), and a body
    // may carry binary tensors after its JSON header; the header alone goes through the schema.
    const binaryParts = new WeakMap<FastifyRequest, Buffer>();
    inference.removeAllContentTypeParsers();
    inference.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
      try {
        const { header, binary } = splitInferenceBody(body as Buffer, parseHeaderLength(request.headers[HEADER_LENGTH_HEADER]));
        if (binary !== undefined) binaryParts.set(request, binary);
        done(null, header);
      } catch (error) {
        done(error as Error, undefined);
      }
    });

    const infer = async (request: FastifyRequest<{ Params: ModelParams; Body: InferenceRequest }>, reply: FastifyReply) => {
      const missing = notServed(request.params);
      if (missing) return reply.code(404).send({ error: missing });
      if (faults !== undefined && (await faults.apply())) return reply.code(500).send({ error: INJECTED_FAULT_MESSAGE });
      const body = { ...request.body, inputs: resolveBinaryTensors(request.body.inputs, binaryParts.get(request)) };
      const wanted = requestedOutputs(body);
      const { columns, rowCount } = decodeInferenceInputs(scorer, body.inputs);
      const probabilities = await scorer.scoreColumns(columns, rowCount);
      metrics.recordScores(probabilities);
      const response = inferenceResponse(model, version, body.id ?? requestIdHeader(request) ?? randomUUID(), probabilities, wanted);
      const binaryOutputs = binaryOutputNames(body, OUTPUT_TENSOR_NAMES);
      if (!response.outputs.some((output) => binaryOutputs.has(output.name))) return response;
      const encoded = encodeBinaryResponse(response, binaryOutputs);
      return reply.header(HEADER_LENGTH_HEADER, encoded.headerLength).type('application/octet-stream').send(encoded.body);
    };
    const schema = { body: inferenceRequestSchema, response: { 200: inferenceResponseSchema } };
    inference.post('/v2/models/:name/infer', { schema }, infer);
    inference.post('/v2/models/:name/versions/:version/infer', { schema }, infer);
  });

  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: `no route ${request.method} ${request.url}` }));
  // Messages quote request content (input names, values): bounded, whatever the request held.
  const bounded = (message: string) => (message.length > MAX_ERROR_LENGTH ? `${message.slice(0, MAX_ERROR_LENGTH - 3)}...` : message);
  app.setErrorHandler((error: Error & { statusCode?: number; validation?: unknown }, request, reply) => {
    if (error instanceof InferenceInputError) return reply.code(400).send({ error: bounded(error.message) });
    if (error.validation !== undefined) return reply.code(400).send({ error: bounded(`invalid request: ${error.message}`) });
    const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'model server error');
    return reply.code(status).send({ error: bounded(error.message) });
  });
  return app;
}

function requestIdHeader(request: FastifyRequest): string | undefined {
  const value = request.headers[REQUEST_ID_HEADER];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export { loadServingArtifact, type LoadServingArtifactOptions, type ServingArtifact } from './model-server-artifact.js';
