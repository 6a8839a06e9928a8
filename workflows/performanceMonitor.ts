/**
 * performanceMonitor: judge the model's production performance as its labels arrive. Usually
 * started by the `performance/<model>` Schedule. One check re-reads the whole lookback, so a
 * window judged "incomplete" today is judged again tomorrow with the labels that arrived since;
 * each finding (degraded performance, production fairness, concept drift) alerts once per model,
 * version and window, however often the window is re-evaluated. Degraded performance can start
 * retraining, keyed by the data like every other trigger.
 */
import { ApplicationFailure, proxyActivities, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import { z } from 'zod';
import type { PipelineActivities } from '../activities/pipeline-activities.js';
import type { DeployActivities } from '../activities/deploy-activities.js';
import type { TriggerActivities } from '../activities/trigger-activities.js';
import type { PerformanceActivities, PerformanceCheckSummary } from '../activities/performance-activities.js';
import { problemsFromZod, formatProblems } from '../src/spec/problems.js';
import { MODEL, OUTCOME } from '../src/temporal/contract.js';
import { startPipelineOnData } from './retrainWhenDataChanged.js';
import type { PerformanceMonitorResult } from '../src/temporal/performance-monitor-result.js';

export const PerformanceMonitorInput = z.strictObject({
  pipelineFile: z.string().min(1).optional(),
  pipeline: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  /** The instant of the check (ISO time): labels that arrived later are not counted; default: now. */
  asOf: z.string().datetime({ offset: true }).optional(),
});
export type PerformanceMonitorInput = z.input<typeof PerformanceMonitorInput>;

export type { PerformanceMonitorResult } from '../src/temporal/performance-monitor-result.js';

const quick = proxyActivities<PipelineActivities & DeployActivities & TriggerActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5 },
});
const measuring = proxyActivities<PerformanceActivities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 3 },
});

export async function performanceMonitor(rawInput: PerformanceMonitorInput): Promise<PerformanceMonitorResult> {
  const parsed = PerformanceMonitorInput.safeParse(rawInput ?? {}, { reportInput: true });
  if (!parsed.success) throw ApplicationFailure.nonRetryable(formatProblems(problemsFromZod(parsed.error), 'workflow input'), 'InvalidPerformanceMonitorInput');
  const input = parsed.data;
  const source = input.pipelineFile !== undefined ? { pipelineFile: input.pipelineFile } : { pipeline: input.pipeline };
  const { definition } = await quick.loadPipelineDefinition({ ...source, trigger: 'schedule' });
  const performance = definition.monitor?.performance;
  if (!performance) throw ApplicationFailure.nonRetryable(`${definition.model}: the definition has no monitor.performance section`, 'SpecError');
  upsertSearchAttributes([{ key: MODEL, value: definition.model }]);

  const asOfMs = input.asOf ? Date.parse(input.asOf) : Date.now();
  // Checks within one minute share a report folder.
  const reportKey = new Date(asOfMs).toISOString().slice(0, 16).replace(/[-:]/g, '');
  const check = await measuring.checkPerformance({ definition, asOfMs, reportKey });

  const result: PerformanceMonitorResult = {
    model: definition.model,
    asOf: check.asOf,
    outcome: outcomeOf(check),
    reportPath: check.reportPath,
    windows: check.windows,
    alerted: [],
  };
  upsertSearchAttributes([{ key: OUTCOME, value: result.outcome }]);

  if (performance.onDegradation.includes('alert')) {
    for (const finding of check.newFindings) {
      await quick.sendAlert({
        dedupKey: finding.dedupKey,
        severity: finding.kind === 'performance' ? 'error' : 'warning',
        kind: finding.kind,
        model: definition.model,
        version: finding.version,
        summary: finding.summary,
        details: { report: check.reportPath, asOf: check.asOf },
        alerts: definition.alerts,
      });
      result.alerted.push(finding.dedupKey);
    }
  }
  if (result.outcome === 'degraded' && performance.onDegradation.includes('retrain')) {
    const { dataVersion } = await quick.currentDataVersion({ definition });
    const started = await startPipelineOnData(definition.model, dataVersion, source as { pipelineFile?: string }, 'performance');
    result.retrainWorkflowId = started.pipelineWorkflowId;
    if (started.outcome === 'unchanged') result.retrainSkipped = `data ${dataVersion} unchanged: already trained by ${started.pipelineWorkflowId}`;
  }

  const degraded = check.windows.filter((window) => window.verdict === 'degraded').length;
  const incomplete = check.windows.filter((window) => !window.complete).length;
  upsertMemo({
    summary: `${definition.model} ${result.outcome}: ${check.windows.length} windows, ${degraded} degraded, ${incomplete} incomplete, ${result.alerted.length} new alerts${result.retrainWorkflowId ? `, retraining ${result.retrainWorkflowId}` : ''}`,
    report: check.reportPath,
  });
  return result;
}

function outcomeOf(check: PerformanceCheckSummary): PerformanceMonitorResult['outcome'] {
  if (check.windows.length === 0) return 'no-predictions';
  if (check.windows.some((window) => window.verdict === 'degraded')) return 'degraded';
  return check.windows.some((window) => window.verdict === 'incomplete') ? 'incomplete' : 'ok';
}
