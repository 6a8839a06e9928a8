import path from 'node:path';
import { settingsFromEnv } from '../../temporal/settings.js';
import { openRegistry } from '../../registry/open-registry.js';
import { EmbeddedRegistry } from '../../registry/embedded-registry.js';
import { renderModelList, renderModelVersions, renderVersionDetail } from '../../registry/registry-report.js';
import { loadDefinitionFile } from '../../spec/load.js';
import { RegistrySection } from '../../spec/schema.js';

export interface RegistryOptions {
  /** The embedded registry's directory. */
  registryDir?: string;
  /** A pipeline definition whose `registry` section to read (embedded or MLflow). */
  pipeline?: string;
  /** An MLflow tracking server URL; a bearer token comes from MLFLOW_TRACKING_TOKEN when set. */
  mlflow?: string;
}

/** The registry section the options point at: `--pipeline`'s, an MLflow server, or the embedded one. */
async function registrySection(opts: RegistryOptions): Promise<RegistrySection> {
  if ([opts.registryDir, opts.pipeline, opts.mlflow].filter((o) => o !== undefined).length > 1) {
    throw new Error('give one of --registry-dir, --pipeline and --mlflow');
  }
  if (opts.pipeline !== undefined) return (await loadDefinitionFile(path.resolve(opts.pipeline))).definition.registry;
  if (opts.mlflow !== undefined) {
    return RegistrySection.parse({ kind: 'mlflow', trackingUri: opts.mlflow, ...(process.env.MLFLOW_TRACKING_TOKEN ? { authTokenEnv: 'MLFLOW_TRACKING_TOKEN' } : {}) });
  }
  return { kind: 'embedded', path: opts.registryDir ? path.resolve(opts.registryDir) : undefined };
}

async function open(opts: RegistryOptions) {
  const settings = settingsFromEnv();
  return openRegistry(await registrySection(opts), { dataDir: settings.dataDir });
}

export async function registryListCommand(opts: RegistryOptions): Promise<number> {
  const registry = await open(opts);
  try {
    console.log(renderModelList(await registry.listModels()));
    return 0;
  } finally {
    await registry.close();
  }
}

export async function registryShowCommand(model: string, version: string | undefined, opts: RegistryOptions): Promise<number> {
  const registry = await open(opts);
  try {
    if (version === undefined) {
      console.log(renderModelVersions(model, await registry.listVersions(model)));
      return 0;
    }
    const found = await registry.getVersion(model, Number(version));
    if (!found) {
      console.error(`no version ${version} of model "${model}"`);
      return 1;
    }
    const events = registry instanceof EmbeddedRegistry ? await registry.listEvents(model, found.version) : undefined;
    console.log(renderVersionDetail(found, events));
    return 0;
  } finally {
    await registry.close();
  }
}
