/**
 * Where a model's history is read from, as the CLI and the API server see it: the registry and
 * gateway of the model's pipeline definition when there is one, else the embedded registry under
 * the data directory and the default gateway; Temporal from the usual settings. The gateway's
 * admin token is read from the environment variable the definition names (never stored).
 */
import type { Client } from '@temporalio/client';
import { openRegistry } from '../registry/open-registry.js';
import { DeploySection, type PipelineDefinition, type RegistrySection } from '../spec/schema.js';
import type { ModelHistorySources } from './model-history.js';

export function historySourcesOf(definition: PipelineDefinition | undefined, options: { dataDir: string; temporal?: Client; env?: NodeJS.ProcessEnv }): { registry: RegistrySection; open: () => Promise<ModelHistorySources> } {
  const env = options.env ?? process.env;
  const deploy = definition?.deploy ?? DeploySection.parse({});
  const registry: RegistrySection = definition?.registry ?? { kind: 'embedded' };
  return {
    registry,
    open: async () => ({
      registry: await openRegistry(registry, { dataDir: options.dataDir }),
      temporal: options.temporal,
      gateway: { url: deploy.gateway.urls?.[0] ?? deploy.gateway.url, token: env[deploy.gateway.tokenEnv], stateDir: options.dataDir },
    }),
  };
}
