/** The worker process: `npx tsx workers/main.ts` (the demo and `mlops worker` start it for you). */
import { Registry } from 'prom-client';
import { settingsFromEnv } from '../src/temporal/settings.js';
import { codeVersion } from '../src/temporal/code-version.js';
import { startMetricsServer } from '../src/temporal/worker-metrics-server.js';
import { createPipelineWorker } from './pipeline-worker.js';

const settings = settingsFromEnv();
const metricsRegistry = new Registry();
const metricsPort = Number(process.env.MLOPS_WORKER_METRICS_PORT ?? 9464);
if (metricsPort > 0) {
  const host = process.env.MLOPS_WORKER_METRICS_HOST ?? '127.0.0.1';
  await startMetricsServer(metricsRegistry, metricsPort, host).then(
    () => console.log(`worker: metrics on http://${host}:${metricsPort}/metrics`),
    (err: Error) => console.error(`worker: no /metrics (${err.message}); set MLOPS_WORKER_METRICS_PORT`),
  );
}
const worker = await createPipelineWorker({ settings, codeVersion: codeVersion(), metricsRegistry });
console.log(`worker: polling task queue "${settings.taskQueue}" on ${settings.temporalAddress} (data in ${settings.dataDir})`);
await worker.run();
