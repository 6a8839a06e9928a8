/**
 * `mlops serve`: runs the model server for one registered version until SIGTERM or SIGINT.
 * Prints exactly one line to stdout once it answers — `model-server: <model> v<version> ready
 * on <url>` — which the local deploy adapter waits for; everything else goes to stderr.
 */
import { ModelFormatError } from '../../model/scoring-model.js';
import path from 'node:path';
import { RegistrySection } from '../../spec/schema.js';
import { ArtifactIntegrityError, ModelNotFoundError } from '../../registry/model-registry.js';
import { openRegistry } from '../../registry/open-registry.js';
import { loadServingArtifact } from '../../serving/model-server-artifact.js';
import { startModelServer } from '../../serving/model-server.js';
import { settingsFromEnv } from '../../temporal/settings.js';
import { ArtifactError } from '../../train/artifact-file.js';
import { nextShutdownSignal } from '../shutdown-signal.js';

export interface ServeCommandOptions {
  model: string;
  version: number;
  port: number;
  host: string;
  /** Embedded registry directory; default `<dataDir>/registry`. */
  registryDir?: string;
  /** Fault injection for demos and drills. */
  faultErrorRate?: number;
  faultLatencyMs?: number;
  /** Faults only this long after start (a transient incident); for the server's whole life when absent. */
  faultDurationMs?: number;
  /** Faults on, then off, repeating (a flapping version). */
  faultFlapMs?: { onMs: number; offMs: number };
}

/**
 * The registry to load from: MLOPS_REGISTRY (the pipeline definition's `registry` section as JSON,
 * set by the deploy targets; env var names only, never secrets), else the embedded one.
 */
function registrySection(options: ServeCommandOptions): RegistrySection {
  if (process.env.MLOPS_REGISTRY) return RegistrySection.parse(JSON.parse(process.env.MLOPS_REGISTRY));
  return { kind: 'embedded', path: options.registryDir ? path.resolve(options.registryDir) : undefined };
}

export async function serveCommand(options: ServeCommandOptions): Promise<number> {
  const { model, version } = options;
  const settings = settingsFromEnv();
  const registry = await openRegistry(registrySection(options), { dataDir: settings.dataDir });
  let loaded;
  try {
    loaded = await loadServingArtifact({ registry, model, version, cacheDir: path.join(settings.dataDir, 'serving') });
  } catch (err) {
    if (err instanceof ModelNotFoundError || err instanceof ArtifactIntegrityError || err instanceof ArtifactError || err instanceof ModelFormatError) {
      console.error(`model-server: cannot load "${model}" v${version}: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    // The artifact is all the server needs; do not hold the registry database open.
    await registry.close();
  }

  const faultErrorRate = options.faultErrorRate ?? 0;
  const faultLatencyMs = options.faultLatencyMs ?? 0;
  const faults =
    faultErrorRate > 0 || faultLatencyMs > 0 ? { errorRate: faultErrorRate, addedLatencyMs: faultLatencyMs, durationMs: options.faultDurationMs, flap: options.faultFlapMs } : undefined;
  const shutdown = nextShutdownSignal();
  const server = await startModelServer({
    model,
    version,
    artifact: loaded.artifact,
    artifactSha256: loaded.artifactSha256,
    host: options.host,
    port: options.port,
    faults,
  });
  if (faults) {
    const lasting = (options.faultDurationMs === undefined ? '' : ` for the first ${options.faultDurationMs} ms`) +
      (options.faultFlapMs ? `, flapping ${options.faultFlapMs.onMs} ms on / ${options.faultFlapMs.offMs} ms off` : '');
    console.error(`model-server: fault injection on${lasting} (error rate ${faultErrorRate}, added latency ${faultLatencyMs} ms)`);
  }
  process.stdout.write(`model-server: ${model} v${version} ready on ${server.url}\n`);

  const signal = await shutdown;
  console.error(`model-server: ${signal} received, closing`);
  await server.close();
  return 0;
}
