import { settingsFromEnv, webUiLink } from '../../temporal/settings.js';
import { pipelineStatusQuery } from '../../temporal/contract.js';
import { connectClient } from '../temporal-client.js';

/** `mlops status <workflow-id>`: the run's execution status and its step timeline. */
export async function statusCommand(workflowId: string): Promise<number> {
  const settings = settingsFromEnv();
  const client = await connectClient(settings);
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe().catch((err: Error) => {
    throw new Error(`no run with id "${workflowId}": ${err.message}`);
  });
  console.log(`${workflowId}  ${description.status.name}  (${description.type}, started ${description.startTime.toISOString()})`);
  console.log(`Web UI: ${webUiLink(settings, workflowId, description.runId)}`);
  const status = await handle.query(pipelineStatusQuery).catch(() => undefined);
  if (!status) {
    console.log('(no worker answered the status query; start one with "mlops worker")');
    return 0;
  }
  if (status.model) console.log(`model ${status.model}, data ${status.dataVersion ?? '?'}, trigger ${status.trigger}`);
  for (const step of status.steps) {
    const state = step.error ? '✗' : step.finishedAt ? '✓' : '…';
    console.log(`  ${state} ${step.step.padEnd(16)} ${step.seconds !== undefined ? `${step.seconds.toFixed(1)}s`.padStart(7) : '       '}  ${step.error?.split('\n')[0] ?? step.summary ?? ''}`);
  }
  if (status.outcome) console.log(`outcome: ${status.outcome}${status.version ? ` (version ${status.version})` : ''}${status.reasons?.length ? `: ${status.reasons.join('; ')}` : ''}`);
  return 0;
}
