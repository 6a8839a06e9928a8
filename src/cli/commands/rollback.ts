/** `mlops rollback <model> [--to <version>]`: aborts a running canary, then moves traffic and `champion` back. */
import os from 'node:os';
import { loadDefinitionFile } from '../../spec/load.js';
import { DeploySection } from '../../spec/schema.js';
import { openRegistry } from '../../registry/open-registry.js';
import { gatewayToken, openDeployTarget } from '../../deploy/open-deploy-target.js';
import { rollBackModel } from '../../deploy/manual-rollback.js';
import { settingsFromEnv } from '../../temporal/settings.js';
import { abortSignal } from '../../temporal/contract.js';
import { connectClient } from '../temporal-client.js';
import { findRunningCanary } from './canary.js';

export async function rollbackCommand(model: string, options: { to?: number; pipeline?: string }): Promise<number> {
  const settings = settingsFromEnv();
  const by = `${os.userInfo().username}@${os.hostname()}`;
  if (!options.pipeline) {
    // Guessing the embedded registry and the local target would "roll back" somewhere the model
    // is not served (an MLflow registry, a Kubernetes target) and report success.
    console.error(`mlops rollback: pass --pipeline <file>, the definition ${model} runs with: the rollback uses its registry and deploy target`);
    return 2;
  }
  const { definition } = await loadDefinitionFile(options.pipeline);
  if (definition.model !== model) {
    console.error(`mlops rollback: ${options.pipeline} defines model "${definition.model}", not "${model}"`);
    return 2;
  }
  const deploy = definition.deploy ?? DeploySection.parse({});

  const client = await connectClient(settings);
  const canary = await findRunningCanary(client, model);
  if (canary) {
    console.log(`aborting the running canary ${canary.workflowId} first`);
    await canary.signal(abortSignal, { by, reason: 'manual rollback' });
    await canary.result().catch(() => undefined);
  }
  const registry = await openRegistry(definition.registry, { dataDir: settings.dataDir });
  try {
    const target = openDeployTarget(deploy, { dataDir: settings.dataDir, gatewayToken: gatewayToken(deploy), registry: definition.registry });
    const result = await rollBackModel({ model, to: options.to, registry, target, by });
    console.log(`${model}: champion is v${result.to}${result.from !== undefined && result.from !== result.to ? ` (was v${result.from})` : ''}; weights ${JSON.stringify(result.weights)}`);
    return 0;
  } finally {
    await registry.close();
  }
}
