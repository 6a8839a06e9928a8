/** The worker process: `npx tsx workers/main.ts` (the demo and `mlops worker` start it for you). */
import type { Server } from 'node:http';
import { Registry } from 'prom-client';
import { settingsFromEnv } from '../src/temporal/settings.js';
import { codeVersion } from '../src/temporal/code-version.js';
import { startMetricsServer } from '../src/temporal/worker-metrics-server.js';
import { createPipelineWorker } from './pipeline-worker.js';
import { workerPolicyFrom } from '../src/policy/worker-policy.js';

const settings = settingsFromEnv();
const metricsRegistry = new Registry();
const metricsPort = Number(process.env.MLOPS_WORKER_METRICS_PORT ?? 9464);
let metricsServer: Server | undefined;
if (metricsPort > 0) {
  const host = process.env.MLOPS_WORKER_METRICS_HOST ?? '127.0.0.1';
  metricsServer = await startMetricsServer(metricsRegistry, metricsPort, host).then(
    (server) => (console.log(`worker: metrics on http://${host}:${metricsPort}/metrics`), server),
    (err: Error) => (console.error(`worker: no /metrics (${err.message}); set MLOPS_WORKER_METRICS_PORT`), undefined),
  );
}
// The worker's own policy (--policy <file> via `mlops worker`, or MLOPS_WORKER_POLICY): never from workflow input.
const policy = workerPolicyFrom(undefined);
console.log(`worker: policy ${policy.source}: definitions from ${policy.definitionRoots.join(', ')}; data from ${policy.dataRoots.join(', ')}; inline runtimes ${policy.inline.allowed ? policy.inline.runtimes.join(', ') : 'none'}`);
const worker = await createPipelineWorker({ settings, codeVersion: codeVersion(), metricsRegistry, policy });
console.log(`worker: polling task queue "${settings.taskQueue}" on ${settings.temporalAddress} (data in ${settings.dataDir})`);
// The SDK's runtime turns SIGTERM/SIGINT into a graceful shutdown (activities get their grace time),
// after which run() resolves. The metrics server and the native runtime would keep the process alive,
// holding the metrics port, so exit explicitly: one signal must end the process.
await worker.run();
metricsServer?.closeAllConnections();
await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
console.log('worker: stopped');
process.exit(0);
