/**
 * The admin API of gateway-contract.ts, behind `Authorization: Bearer <token>`. Every change
 * goes through the route store, which applies one change at a time and persists it before
 * the new table takes traffic.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ModelStats, RouteTable } from './gateway-contract.js';
import type { RouteTableStore } from './route-table-store.js';
import { MODEL_NAME_PATTERN, RouteTableError, removeVersion, setMirror, setWeights, upsertVersion } from './route-table.js';
import { MAX_WINDOW_SECONDS } from './window-stats.js';

export interface AdminDependencies {
  adminToken: string;
  routes: RouteTableStore;
  modelStats: (model: string, windowSeconds: number, completeOnly: boolean, slowerThanMs?: number) => ModelStats;
}

const modelParam = z.string().regex(MODEL_NAME_PATTERN, 'expected letters, digits, ".", "_" or "-" (at most 128), starting with a letter or digit');
const versionParam = z.coerce.number().int().positive();
const params = {
  model: z.object({ model: modelParam }),
  version: z.object({ model: modelParam, version: versionParam }),
};
const upsertBody = z.object({ url: z.url({ protocol: /^https?$/ }) });
const mirrorBody = z.object({ version: z.number().int().min(1), percent: z.number().int().min(1).max(100) });
const weightsBody = z.object({ weights: z.record(z.string(), z.number()), ifRevision: z.number().int().min(0).optional() });
const statsQuery = z.object({
  windowSeconds: z.coerce.number().int().min(1).max(MAX_WINDOW_SECONDS).default(60),
  complete: z.enum(['true', 'false']).default('false'),
  slowerThanMs: z.coerce.number().positive().finite().optional(),
});

export class AdminInputError extends Error {
  override readonly name = 'AdminInputError';
}

export async function adminRoutes(app: FastifyInstance, deps: AdminDependencies): Promise<void> {
  const expected = digest(deps.adminToken);
  app.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    // Equal-length digests: timingSafeEqual then reveals neither the token nor its length.
    if (!token || !timingSafeEqual(digest(token), expected)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong admin token (Authorization: Bearer <token>)' });
    }
  });
  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
    if (error instanceof RouteTableError) return reply.code(error.status).send({ error: error.message });
    if (error instanceof AdminInputError) return reply.code(400).send({ error: error.message });
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    return reply.code(status).send({ error: error.message });
  });

  app.get('/admin/models/:model/routes', async (request) => existing(deps.routes, parse(params.model, request.params, 'path').model));

  // Every committed revision, oldest first: the record `mlops history --at` reads.
  app.get('/admin/models/:model/route-changes', async (request) => {
    const { model } = parse(params.model, request.params, 'path');
    return { model, changes: await deps.routes.journal.read(model) };
  });

  app.put('/admin/models/:model/versions/:version', async (request) => {
    const { model, version } = parse(params.version, request.params, 'path');
    const { url } = parse(upsertBody, request.body, 'body');
    return deps.routes.update(model, (table) => upsertVersion(table, version, url, new Date()));
  });

  app.delete('/admin/models/:model/versions/:version', async (request) => {
    const { model, version } = parse(params.version, request.params, 'path');
    existing(deps.routes, model);
    return deps.routes.update(model, (table) => removeVersion(table, version, new Date()));
  });

  app.put('/admin/models/:model/weights', async (request) => {
    const { model } = parse(params.model, request.params, 'path');
    const { weights, ifRevision } = parse(weightsBody, request.body, 'body');
    existing(deps.routes, model);
    return deps.routes.update(model, (table) => setWeights(table, weights, ifRevision, new Date()));
  });

  app.put('/admin/models/:model/mirror', async (request) => {
    const { model } = parse(params.model, request.params, 'path');
    const mirror = parse(mirrorBody, request.body, 'body');
    existing(deps.routes, model);
    return deps.routes.update(model, (table) => setMirror(table, mirror, new Date()));
  });

  app.delete('/admin/models/:model/mirror', async (request) => {
    const { model } = parse(params.model, request.params, 'path');
    existing(deps.routes, model);
    return deps.routes.update(model, (table) => setMirror(table, null, new Date()));
  });

  app.get('/admin/models/:model/stats', async (request: FastifyRequest, _reply: FastifyReply) => {
    const { model } = parse(params.model, request.params, 'path');
    const { windowSeconds, complete, slowerThanMs } = parse(statsQuery, request.query, 'query');
    return deps.modelStats(model, windowSeconds, complete === 'true', slowerThanMs);
  });
}

function existing(routes: RouteTableStore, model: string): RouteTable {
  const table = routes.get(model);
  if (!table) throw new RouteTableError(404, `no routes for model "${model}"`);
  return table;
}

/** Validates one part of a request; the error names each offending field. */
export function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new AdminInputError(result.error.issues.map((issue) => `${[where, ...issue.path].join('.')}: ${issue.message}`).join('; '));
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
