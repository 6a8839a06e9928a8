/** Where our processes find Temporal and their data; every value can be set from the environment. */
import path from 'node:path';

export interface Settings {
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  dataDir: string;
  webUiUrl: string;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): Settings {
  const port = env.TEMPORAL_PORT ?? '7233';
  return {
    temporalAddress: env.TEMPORAL_ADDRESS ?? `127.0.0.1:${port}`,
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: env.MLOPS_TASK_QUEUE ?? 'mlops-pipelines',
    dataDir: path.resolve(env.MLOPS_DATA_DIR ?? '.data'),
    webUiUrl: (env.TEMPORAL_UI_URL ?? `http://127.0.0.1:${env.TEMPORAL_UI_PORT ?? '8233'}`).replace(/\/$/, ''),
  };
}

/** The run's page in the Temporal Web UI. */
export function webUiLink(settings: Settings, workflowId: string, runId?: string): string {
  const base = `${settings.webUiUrl}/namespaces/${encodeURIComponent(settings.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${runId}/history` : base;
}
