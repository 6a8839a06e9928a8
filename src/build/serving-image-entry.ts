/**
 * The serving image's entry point (bundled into one file by serving-image-bundle.ts): loads the
 * model baked into the image, checks its sha256 against the one recorded at build time, and
 * serves it with our model server. Settings come from the environment:
 *   MLOPS_MODEL, MLOPS_MODEL_VERSION, MLOPS_ARTIFACT_SHA256   baked in by the build
 *   MLOPS_SERVING_HOST (0.0.0.0), MLOPS_SERVING_PORT (8080)     where to listen
 *   MLOPS_FAULT_ERROR_RATE, MLOPS_FAULT_LATENCY_MS, MLOPS_FAULT_DURATION_MS   drills only
 * `--check` loads and compiles the model, scores nothing and exits 0 (the build's smoke test);
 * `--probe` asks a running server whether it is ready (the image's HEALTHCHECK).
 * Prints one line to stdout once it answers: `model-server: <model> v<version> ready on <url>`.
 */
import { openScoringModel } from '../model/open-scoring-model.js';
import { startModelServer } from '../serving/model-server.js';
import { parseFlap } from '../serving/model-server-faults.js';
import { SERVING_ARTIFACT_PATH } from './serving-image-constants.js';

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const model = required(env, 'MLOPS_MODEL');
  const version = Number(required(env, 'MLOPS_MODEL_VERSION'));
  const host = env.MLOPS_SERVING_HOST ?? '0.0.0.0';
  const port = Number(env.MLOPS_SERVING_PORT ?? '8080');

  if (argv.includes('--probe')) {
    const probeHost = host === '0.0.0.0' ? '127.0.0.1' : host;
    const response = await fetch(`http://${probeHost}:${port}/v2/models/${encodeURIComponent(model)}/ready`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
    return response?.ok ? 0 : 1;
  }

  const { model: artifact, sha256 } = await openScoringModel(env.MLOPS_ARTIFACT_PATH ?? SERVING_ARTIFACT_PATH, required(env, 'MLOPS_ARTIFACT_SHA256'));
  if (argv.includes('--check')) {
    console.log(`model-server: ${model} v${version} loads (${artifact.format}, sha256 ${sha256.slice(0, 16)}, ${artifact.features.length} features, node ${process.version})`);
    await artifact.close();
    return 0;
  }

  const errorRate = Number(env.MLOPS_FAULT_ERROR_RATE ?? 0);
  const addedLatencyMs = Number(env.MLOPS_FAULT_LATENCY_MS ?? 0);
  const durationMs = env.MLOPS_FAULT_DURATION_MS ? Number(env.MLOPS_FAULT_DURATION_MS) : undefined;
  const flap = env.MLOPS_FAULT_FLAP_MS ? parseFlap(env.MLOPS_FAULT_FLAP_MS, 'MLOPS_FAULT_FLAP_MS') : undefined;
  const faults = errorRate > 0 || addedLatencyMs > 0 ? { errorRate, addedLatencyMs, durationMs, flap } : undefined;
  const server = await startModelServer({ model, version, artifact, artifactSha256: sha256, host, port, faults });
  if (faults) console.error(`model-server: fault injection on (error rate ${errorRate}, added latency ${addedLatencyMs} ms${durationMs ? `, for ${durationMs} ms` : ''})`);
  process.stdout.write(`model-server: ${model} v${version} ready on ${server.url}\n`);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  console.error(`model-server: ${signal} received, closing`);
  await server.close();
  return 0;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set (the serving image sets it at build time)`);
  return value;
}

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`model-server: ${err.message}`);
    process.exit(1);
  },
);
