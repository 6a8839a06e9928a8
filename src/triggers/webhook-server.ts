/**
 * The API server (`mlops api`): `POST /hooks/new-data` and `GET /health` on loopback by default.
 * Other concerns (reports, ...) join as fastify plugins through `plugins`.
 */
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { ApiServerSettings } from './api-config.js';
import { newDataRoutes, type ObjectHasher } from './new-data-routes.js';
import { settingsFromEnv } from '../temporal/settings.js';
import { ReplayGuard } from './replay-guard.js';

export interface WebhookServerOptions {
  settings: ApiServerSettings;
  client: Client;
  /** Where modelPipeline runs are started (the workers' queue, MLOPS_TASK_QUEUE). */
  taskQueue: string;
  plugins?: FastifyPluginAsync[];
  /** One line per started or duplicate run (default console.log). */
  log?: (line: string) => void;
  /** Where event objects are snapshotted to be hashed (default: MLOPS_DATA_DIR, else .data). */
  dataDir?: string;
  /** Replaces the download-and-hash of event objects (tests of the HTTP layer only). */
  hashObject?: ObjectHasher;
}

export interface RunningApiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startWebhookServer(options: WebhookServerOptions): Promise<RunningApiServer> {
  const { settings } = options;
  const app = await buildWebhookApp(options);
  await app.listen({ host: settings.host, port: settings.port });
  const port = (app.server.address() as { port: number }).port;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return { url: `http://${host}:${port}`, port, close: () => app.close() };
}

/** The fastify app, not yet listening (tests may `inject` into it). */
export async function buildWebhookApp(options: WebhookServerOptions): Promise<FastifyInstance> {
  const { settings } = options;
  const app = Fastify({ logger: false, bodyLimit: settings.bodyLimitBytes, forceCloseConnections: 'idle', return503OnClosing: true });
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send({ error: `body too large: the limit is ${settings.bodyLimitBytes} bytes (bodyLimitBytes)` });
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    return reply.code(status).send({ error: status === 500 ? `internal error: ${error.message}` : error.message });
  });
  app.get('/health', async () => ({ status: 'ok', models: settings.pipelines.map((p) => p.model) }));
  const replay = new ReplayGuard({ ttlMs: 2 * settings.toleranceSeconds * 1000, maxIds: settings.maxReplayIds });
  await app.register(newDataRoutes, {
    settings, client: options.client, taskQueue: options.taskQueue, replay, log: options.log ?? ((line) => console.log(line)),
    dataDir: options.dataDir ?? settingsFromEnv().dataDir, hashObject: options.hashObject,
  });
  for (const plugin of options.plugins ?? []) await app.register(plugin);
  return app;
}
