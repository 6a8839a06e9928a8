/**
 * A human's rollback: traffic and the `champion` alias go back to an earlier version at once.
 * Each step is idempotent, so running it again after an interruption finishes the job.
 */
import type { DeployTarget } from './deploy-target.js';
import type { ModelRegistry } from '../registry/model-registry.js';

export interface ManualRollbackResult {
  from?: number;
  to: number;
  weights: Record<number, number>;
}

export async function rollBackModel(options: { model: string; to?: number; registry: ModelRegistry; target: DeployTarget; by: string }): Promise<ManualRollbackResult> {
  const { model, registry, target, by } = options;
  const champion = await registry.getVersionByAlias(model, 'champion');
  const to = options.to ?? (await previousChampion(registry, model, champion?.version));
  if (to === undefined) throw new Error(`"${model}" has no earlier champion to roll back to; name one with --to`);
  const version = await registry.getVersion(model, to);
  if (!version) throw new Error(`"${model}" has no version ${to}`);
  if (version.status === 'rejected') throw new Error(`v${to} of "${model}" was rejected (${version.rejectionReasons.join('; ')}); pick another with --to`);

  await target.deployVersion(model, to);
  const split = await target.getTrafficSplit(model);
  const weights: Record<number, number> = Object.fromEntries(Object.keys(split?.weights ?? {}).map((v) => [Number(v), 0]));
  weights[to] = 100;
  await target.setTrafficWeights(model, weights);
  const reason = `manual rollback by ${by}`;
  if (champion?.version !== to) await registry.setAlias(model, 'champion', to, reason);
  if (champion && champion.version !== to) await registry.setStatus(model, champion.version, 'rejected', reason).catch(() => undefined);
  return { from: champion?.version, to, weights };
}

/** The newest version before the champion that was champion once (archived when replaced). */
async function previousChampion(registry: ModelRegistry, model: string, current: number | undefined): Promise<number | undefined> {
  const versions = await registry.listVersions(model);
  return versions
    .filter((v) => v.status === 'archived' && (current === undefined || v.version < current))
    .map((v) => v.version)
    .sort((a, b) => b - a)[0];
}
