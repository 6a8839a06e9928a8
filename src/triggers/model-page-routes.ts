/**
 * The model page of each model this API serves:
 *   GET /models/<model>        → HTML (model-page-html.ts): the latest canary, its checks, the versions
 *   GET /models/<model>.json   → the same data as JSON
 * The definition is read at each request, so the page follows edits to the SLA or the registry.
 */
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsync } from 'fastify';
import { gatherModelPage } from '../model-page/model-page-data.js';
import { renderModelPageHtml } from '../model-page/model-page-html.js';
import { openRegistry } from '../registry/open-registry.js';
import { loadDefinitionFile } from '../spec/load.js';

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface ModelPageRoutesOptions {
  client: Client;
  dataDir: string;
  /** The served pipelines: model → definition file. */
  pipelines: ReadonlyArray<{ model: string; file: string }>;
  webUiLink?: (workflowId: string) => string;
}

export function modelPageRoutes(options: ModelPageRoutesOptions): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Params: { page: string } }>('/models/:page', async (request, reply) => {
      const json = request.params.page.endsWith('.json');
      const model = json ? request.params.page.slice(0, -'.json'.length) : request.params.page;
      const served = SAFE.test(model) ? options.pipelines.find((pipeline) => pipeline.model === model) : undefined;
      if (!served) return reply.code(404).send({ error: `model "${model}" is not served by this API (served: ${options.pipelines.map((p) => p.model).join(', ')})` });
      const { definition } = await loadDefinitionFile(served.file);
      const registry = await openRegistry(definition.registry, { dataDir: options.dataDir });
      try {
        const data = await gatherModelPage(model, { client: options.client, listVersions: (name) => registry.listVersions(name) });
        if (json) return data;
        const sla = definition.deploy?.canary.sla;
        return reply.type('text/html; charset=utf-8').send(renderModelPageHtml(data, {
          ...(sla && { sla: { errorRateMax: sla.errorRate.max, latencyP99MsMax: sla.latencyP99Ms.max } }),
          ...(options.webUiLink && { webUiLink: options.webUiLink }),
        }));
      } finally {
        await registry.close();
      }
    });
  };
}
