/**
 * Serves the drift reports the driftMonitor keeps under `<dataDir>/reports/drift/`:
 *   GET /reports/drift/<model>                     → the windows, newest first (JSON)
 *   GET /reports/drift/<model>/<window>/report.html | report.json
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const FILES: Record<string, string> = { 'report.html': 'text/html; charset=utf-8', 'report.json': 'application/json' };

export function driftReportRoutes(dataDir: string): FastifyPluginAsync {
  const root = path.join(dataDir, 'reports', 'drift');
  return async (app) => {
    app.get<{ Params: { model: string } }>('/reports/drift/:model', async (request, reply) => {
      const { model } = request.params;
      if (!SAFE.test(model)) return reply.code(400).send({ error: 'model: expected a model name' });
      const windows = await readdir(path.join(root, model)).catch(() => undefined);
      if (!windows) return reply.code(404).send({ error: `no drift reports for "${model}"` });
      return { model, windows: windows.filter((w) => SAFE.test(w)).sort().reverse().map((w) => ({ window: w, html: `/reports/drift/${model}/${w}/report.html`, json: `/reports/drift/${model}/${w}/report.json` })) };
    });
    app.get<{ Params: { model: string; window: string; file: string } }>('/reports/drift/:model/:window/:file', async (request, reply) => {
      const { model, window, file } = request.params;
      // Names are checked before they touch the file system: no path can escape the reports folder.
      if (!SAFE.test(model) || !SAFE.test(window) || !(file in FILES)) return reply.code(404).send({ error: 'no such report' });
      const body = await readFile(path.join(root, model, window, file)).catch(() => undefined);
      if (!body) return reply.code(404).send({ error: 'no such report' });
      return reply.type(FILES[file]!).send(body);
    });
  };
}
