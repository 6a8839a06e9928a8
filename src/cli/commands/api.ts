/**
 * `mlops api`: the API server in the foreground (new-data webhook, health) until SIGTERM or
 * SIGINT. Configured by a YAML/JSON file (`--config`, format in src/triggers/api-config.ts)
 * and/or flags; flags win over the file, `--pipeline` adds to its pipelines.
 */
import { configuredWorkerPolicy } from '../../policy/worker-policy.js';
import path from 'node:path';
import { connectClient } from '../temporal-client.js';
import { settingsFromEnv, webUiLink } from '../../temporal/settings.js';
import { readApiConfigFile, resolveApiConfig, type ApiConfigInput } from '../../triggers/api-config.js';
import { startWebhookServer } from '../../triggers/webhook-server.js';
import { driftReportRoutes } from '../../triggers/drift-report-routes.js';
import { modelPageRoutes } from '../../triggers/model-page-routes.js';
import { nextShutdownSignal } from '../shutdown-signal.js';

export interface ApiCommandOptions {
  config?: string;
  /** Pipeline definition files; each serves `{ "model": <its model> }` events. */
  pipeline?: string[];
  host?: string;
  port?: number;
  /** Env var holding the Standard Webhooks secret (default MLOPS_WEBHOOK_SECRET). */
  secretEnv?: string;
  /** Env var holding a GitHub-style (X-Hub-Signature-256) secret; off unless given. */
  githubSecretEnv?: string;
}

export async function apiCommand(options: ApiCommandOptions, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    const { baseDir, ...fromFile }: Partial<ApiConfigInput> & { baseDir: string } = options.config ? await readApiConfigFile(options.config) : { baseDir: process.cwd() };
    const input: ApiConfigInput = {
      ...fromFile,
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
      // Files given as flags are relative to the current directory, the config file's to the file.
      pipelines: [...(fromFile.pipelines ?? []), ...(options.pipeline ?? []).map((file) => ({ file: path.resolve(file) }))],
    };
    if (options.secretEnv !== undefined || options.githubSecretEnv !== undefined) {
      input.signatures = {
        ...input.signatures,
        ...(options.secretEnv !== undefined ? { standardWebhooks: { secretEnv: options.secretEnv } } : {}),
        ...(options.githubSecretEnv !== undefined ? { github: { secretEnv: options.githubSecretEnv } } : {}),
      };
    }
    const settings = await resolveApiConfig(input, { baseDir, env, source: options.config ?? 'mlops api', policy: configuredWorkerPolicy(env) });
    const temporal = settingsFromEnv(env);
    const client = await connectClient(temporal);
    const shutdown = nextShutdownSignal();
    const server = await startWebhookServer({ settings, client, taskQueue: temporal.taskQueue, dataDir: temporal.dataDir, plugins: [
      driftReportRoutes(temporal.dataDir),
      modelPageRoutes({ client, dataDir: temporal.dataDir, pipelines: settings.pipelines, webUiLink: (workflowId) => webUiLink(temporal, workflowId) }),
    ] });
    console.log(`api: listening on ${server.url} (POST /hooks/new-data, GET /reports/drift/<model>, GET /models/<model>, GET /health); models: ${settings.pipelines.map((p) => p.model).join(', ')}; task queue ${temporal.taskQueue}`);
    const signal = await shutdown;
    console.log(`api: ${signal}, stopping`);
    await server.close();
    await client.connection.close();
    return 0;
  } catch (err) {
    console.error(`api: ${(err as Error).message}`);
    return 2;
  }
}
