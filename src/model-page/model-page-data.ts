/**
 * What the model page shows, gathered from where each fact lives: the versions from the model's
 * registry, the canaries from Temporal (the latest one's status query: its phase, weight, the
 * current step's checks and the decisions so far; a finished one's outcome and reason).
 */
import type { Client } from '@temporalio/client';
import type { ModelVersion } from '../registry/model-registry.js';
import { canaryStatusQuery } from '../temporal/contract.js';
import type { CanaryOutcome, CanaryStatus } from '../temporal/canary-status.js';

export interface CanarySummary {
  workflowId: string;
  running: boolean;
  startedAt: string;
  closedAt?: string;
  /** From the status query; absent when no worker could answer it. */
  status?: CanaryStatus;
  /** A finished canary's result (promoted / rolled back, and why). */
  outcome?: CanaryOutcome;
  /** A canary that ended without an outcome (failed, terminated, timed out). */
  closedAs?: string;
}

export interface ModelPageData {
  model: string;
  generatedAt: string;
  versions: Array<Pick<ModelVersion, 'version' | 'status' | 'aliases' | 'metrics' | 'createdAt' | 'rejectionReasons'>>;
  /** Newest first; the first is shown in full. */
  canaries: CanarySummary[];
}

const RECENT_CANARIES = 10;

export async function gatherModelPage(model: string, deps: { client: Client; listVersions: (model: string) => Promise<ModelVersion[]> }): Promise<ModelPageData> {
  const versions = (await deps.listVersions(model)).sort((a, b) => b.version - a.version);
  const canaries: CanarySummary[] = [];
  // Model names are checked by the route (letters, digits, . _ -): safe inside the quoted value.
  for await (const execution of deps.client.workflow.list({ query: `WorkflowType = "canaryRollout" AND Model = "${model}" AND ExecutionStatus != "ContinuedAsNew"` })) {
    canaries.push({
      workflowId: execution.workflowId,
      running: execution.status.name === 'RUNNING',
      startedAt: execution.startTime.toISOString(),
      ...(execution.closeTime && { closedAt: execution.closeTime.toISOString() }),
      ...(execution.status.name !== 'RUNNING' && execution.status.name !== 'COMPLETED' && { closedAs: execution.status.name.toLowerCase().replace('_', ' ') }),
    });
  }
  canaries.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  canaries.splice(RECENT_CANARIES);
  await Promise.all(canaries.map(async (canary, index) => {
    const handle = deps.client.workflow.getHandle(canary.workflowId);
    if (!canary.running && !canary.closedAs) canary.outcome = (await handle.result().catch(() => undefined)) as CanaryOutcome | undefined;
    // The full status (checks, decisions) only for the latest: a query of a closed run replays it on a worker.
    if (index === 0) canary.status = (await handle.query(canaryStatusQuery).catch(() => undefined)) as CanaryStatus | undefined;
  }));
  return {
    model,
    generatedAt: new Date().toISOString(),
    versions: versions.map(({ version, status, aliases, metrics, createdAt, rejectionReasons }) => ({ version, status, aliases, metrics, createdAt, rejectionReasons })),
    canaries,
  };
}
