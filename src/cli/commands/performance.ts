/**
 * `mlops performance check <pipeline.yaml>`: runs performanceMonitor now (the same workflow the
 * `performance/<model>` Schedule starts), prints each window's realised metrics beside their CBPE
 * estimate and the training baseline, the findings, the report, and with --follow the retraining
 * it started.
 */
import path from 'node:path';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { loadDefinitionFile } from '../../spec/load.js';
import { settingsFromEnv, webUiLink } from '../../temporal/settings.js';
import { MODEL, TRIGGER } from '../../temporal/contract.js';
import type { PerformanceMonitorResult } from '../../temporal/performance-monitor-result.js';
import type { PerformanceWindowSummary } from '../../performance/performance-report.js';
import { connectClient } from '../temporal-client.js';
import { followPipeline } from './run.js';

export async function performanceCheckCommand(file: string, options: { follow: boolean }): Promise<number> {
  const settings = settingsFromEnv();
  const { definition } = await loadDefinitionFile(file);
  if (!definition.monitor?.performance) {
    console.error(`${file}: the definition has no monitor.performance section`);
    return 1;
  }
  const client = await connectClient(settings);
  const asOf = new Date().toISOString();
  // The workflow shares a report folder per minute; the id is per second so a second check within the minute still runs.
  const workflowId = `performance/${definition.model}/${asOf.slice(0, 19).replace(/[-:]/g, '')}`;
  let result: PerformanceMonitorResult;
  try {
    result = await client.workflow.execute('performanceMonitor', {
      taskQueue: settings.taskQueue,
      workflowId,
      args: [{ pipelineFile: path.resolve(file), asOf }],
      typedSearchAttributes: [{ key: MODEL, value: definition.model }, { key: TRIGGER, value: 'cli' }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    result = await client.workflow.getHandle(workflowId).result();
  }
  console.log(`${workflowId}: ${result.outcome} — ${result.windows.length} window(s)`);
  for (const window of result.windows) console.log(`  ${describeWindow(window)}`);
  for (const key of result.alerted) console.log(`  alerted: ${key}`);
  console.log(`  report: ${path.join(result.reportPath, 'report.html')}`);
  console.log(`  Web UI: ${webUiLink(settings, workflowId)}`);
  if (result.retrainSkipped) console.log(`  retraining: ${result.retrainSkipped}`);
  else if (result.retrainWorkflowId) {
    console.log(`  retraining: ${result.retrainWorkflowId}`);
    if (options.follow) return followPipeline(client, client.workflow.getHandle(result.retrainWorkflowId));
  }
  return 0;
}

/** One line per window: "v3 10:20:00–10:21:00  labels 42%  recall: estimated 0.44 [0.33, 0.55], realised —, training 0.51  incomplete (...)". */
export function describeWindow(window: PerformanceWindowSummary): string {
  const time = (iso: string) => iso.slice(11, 19);
  const number = (value: number | null) => (value === null ? '—' : value.toFixed(3));
  const metrics = window.metrics.map((metric) => {
    const estimate = metric.estimated ? `estimated ${number(metric.estimated.value)} [${number(metric.estimated.lower)}, ${number(metric.estimated.upper)}], ` : '';
    return `${metric.metric}: ${estimate}realised ${number(metric.realised)}, training ${number(metric.baseline)}`;
  });
  const verdict = window.verdict === 'incomplete' && window.incompleteBecause ? `incomplete (${window.incompleteBecause})` : window.verdict;
  const extra = [window.conceptDrift && 'concept drift', window.fairnessBreached && 'fairness breached'].filter(Boolean).join(', ');
  return `v${window.version} ${time(window.start)}–${time(window.end)}  labels ${(window.labelCoverage * 100).toFixed(0)}%  ${metrics.join('; ')}  ${verdict}${extra ? `; ${extra}` : ''}`;
}
