/**
 * `mlops drift check <pipeline.yaml>`: runs driftMonitor now for the window ending now (the same
 * workflow the `drift/<model>` Schedule starts), prints the verdict and the report, and with
 * --follow follows the retraining it started.
 */
import path from 'node:path';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { loadDefinitionFile } from '../../spec/load.js';
import { settingsFromEnv, webUiLink } from '../../temporal/settings.js';
import { MODEL, TRIGGER } from '../../temporal/contract.js';
import type { DriftMonitorResult } from '../../temporal/drift-monitor-result.js';
import { connectClient } from '../temporal-client.js';
import { followPipeline } from './run.js';

export async function driftCheckCommand(file: string, options: { follow: boolean }): Promise<number> {
  const settings = settingsFromEnv();
  const { definition } = await loadDefinitionFile(file);
  if (!definition.monitor?.drift) {
    console.error(`${file}: the definition has no monitor.drift section`);
    return 1;
  }
  const client = await connectClient(settings);
  const windowEnd = new Date().toISOString();
  const workflowId = `drift/${definition.model}/${windowEnd.slice(0, 16).replace(/[-:]/g, '')}`;
  let result: DriftMonitorResult;
  try {
    result = await client.workflow.execute('driftMonitor', {
      taskQueue: settings.taskQueue,
      workflowId,
      args: [{ pipelineFile: path.resolve(file), windowEnd }],
      typedSearchAttributes: [{ key: MODEL, value: definition.model }, { key: TRIGGER, value: 'cli' }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    result = await client.workflow.getHandle(workflowId).result();
  }
  console.log(`${workflowId}: ${result.outcome}${result.share !== undefined ? ` — ${result.driftedColumns.length} drifted feature(s), ${(result.share * 100).toFixed(0)}% of those evaluated` : ''}`);
  if (result.driftedColumns.length) console.log(`  drifted: ${result.driftedColumns.join(', ')}`);
  if (result.reportUrl) console.log(`  report in the object store: ${result.reportUrl}`);
  if (result.reportPath) console.log(`  report: ${path.join(result.reportPath, 'report.html')}${process.env.MLOPS_API_URL ? ` (${process.env.MLOPS_API_URL}/reports/drift/${definition.model})` : ''}`);
  console.log(`  Web UI: ${webUiLink(settings, workflowId)}`);
  if (result.retrainWorkflowId) {
    console.log(`  retraining: ${result.retrainWorkflowId}`);
    if (options.follow) return followPipeline(client, client.workflow.getHandle(result.retrainWorkflowId));
  }
  return 0;
}
