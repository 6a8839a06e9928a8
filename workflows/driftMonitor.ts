/**
 * driftMonitor: compare a window of logged production inputs with the champion's reference
 * profile, keep the report, export the gauges, alert, and start retraining when asked — at most
 * one retraining per model and window. Usually started by the `drift/<model>` Schedule.
 */
import {
  ApplicationFailure,
  ParentClosePolicy,
  patched,
  proxyActivities,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { z } from 'zod';
import type { PipelineActivities } from '../activities/pipeline-activities.js';
import type { DriftActivities, DriftSummary, DriftWindowArgs } from '../activities/drift-activities.js';
import type { DeployActivities } from '../activities/deploy-activities.js';
import type { TriggerActivities } from '../activities/trigger-activities.js';
import { startPipelineOnData } from './retrainWhenDataChanged.js';
import { durationToMs } from '../src/spec/duration.js';
import { problemsFromZod, formatProblems } from '../src/spec/problems.js';
import { modelPipeline } from './modelPipeline.js';
import { MODEL, MODEL_VERSION, OUTCOME } from '../src/temporal/contract.js';
import type { DriftMonitorResult } from '../src/temporal/drift-monitor-result.js';

export type { DriftMonitorResult };

export const DriftMonitorInput = z.strictObject({
  pipelineFile: z.string().min(1).optional(),
  pipeline: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  /** End of the window (ISO time); default: now. */
  windowEnd: z.string().datetime({ offset: true }).optional(),
  /** Profile hour by hour in parallel activities (true) or in one pass (false); default: windows over an hour in partitions of at least 64 MB of log, one per activity. */
  fanOut: z.boolean().optional(),
});
export type DriftMonitorInput = z.input<typeof DriftMonitorInput>;


const quick = proxyActivities<PipelineActivities & DeployActivities & TriggerActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5 },
});
const measuring = proxyActivities<DriftActivities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 3 },
});

const HOUR_MS = 3_600_000;

/** Plan the partitions (hours), profile each in its own activity, merge and compare (activities/drift-activities.ts). */
async function fannedOutDrift(window: DriftWindowArgs, hourly: boolean): Promise<DriftSummary> {
  // Asked for explicitly: hour by hour; otherwise consecutive quiet hours are profiled together.
  const plan = await measuring.planDriftPartitions({ ...window, ...(hourly && { minPartitionBytes: 0 }) });
  if (plan.championVersion === undefined || plan.options === undefined) return { outcome: 'no-champion', currentRows: 0, evaluated: 0, driftedColumns: [], findings: 0 };
  const { features, options } = plan;
  const profiled = await Promise.all(plan.partitions.map((partition) => measuring.profileDriftPartition({ ...window, features, options, partition })));
  return measuring.compareDriftPartitions({ ...window, championVersion: plan.championVersion, keys: profiled.map((part) => part.key) });
}

export async function driftMonitor(rawInput: DriftMonitorInput): Promise<DriftMonitorResult> {
  const parsed = DriftMonitorInput.safeParse(rawInput ?? {}, { reportInput: true });
  if (!parsed.success) throw ApplicationFailure.nonRetryable(formatProblems(problemsFromZod(parsed.error), 'workflow input'), 'InvalidDriftMonitorInput');
  const input = parsed.data;
  const source = input.pipelineFile !== undefined ? { pipelineFile: input.pipelineFile } : { pipeline: input.pipeline };
  const { definition } = await quick.loadPipelineDefinition({ ...source, trigger: 'schedule' });
  const drift = definition.monitor?.drift;
  if (!drift) throw ApplicationFailure.nonRetryable(`${definition.model}: the definition has no monitor.drift section`, 'SpecError');
  upsertSearchAttributes([{ key: MODEL, value: definition.model }]);

  const to = input.windowEnd ? Date.parse(input.windowEnd) : Date.now();
  const from = to - durationToMs(drift.window);
  // Checks of the same model within one minute share a key: at most one retraining for them.
  const windowKey = new Date(to).toISOString().slice(0, 16).replace(/[-:]/g, '');

  const window = { definition, fromMs: from, toMs: to, windowKey };
  // A window of more than an hour is profiled hour by hour in parallel activities (any worker), then merged.
  const summary = (input.fanOut ?? to - from > HOUR_MS) && patched('drift-fan-out') ? await fannedOutDrift(window, input.fanOut === true) : await measuring.computeDrift(window);
  const result: DriftMonitorResult = {
    model: definition.model,
    window: { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
    outcome: summary.outcome,
    share: summary.share,
    driftedColumns: summary.driftedColumns,
    findings: summary.findings,
    reportPath: summary.reportPath,
    ...(summary.reportUrl && { reportUrl: summary.reportUrl }),
  };
  if (summary.championVersion !== undefined) upsertSearchAttributes([{ key: MODEL_VERSION, value: summary.championVersion }]);
  upsertSearchAttributes([{ key: OUTCOME, value: summary.outcome }]);

  if (summary.outcome === 'drift') {
    if (drift.onDrift.includes('alert')) {
      await quick.sendAlert({
        dedupKey: `drift/${definition.model}`,
        severity: 'warning',
        kind: 'drift',
        model: definition.model,
        version: summary.championVersion,
        summary: `${definition.model}: data drift in ${summary.driftedColumns.length} of ${summary.evaluated} features (${summary.driftedColumns.join(', ')}) over ${drift.window} to ${result.window.to}`,
        details: { share: summary.share, report: summary.reportPath, window: result.window },
        alerts: definition.alerts,
      });
    }
    if (drift.onDrift.includes('retrain')) {
      if (patched('retrain-keyed-by-data')) {
        // The same key as every other trigger: drift on data already trained on retrains nothing.
        const { dataVersion } = await quick.currentDataVersion({ definition });
        const started = await startPipelineOnData(definition.model, dataVersion, source as { pipelineFile?: string }, 'drift');
        result.retrainWorkflowId = started.pipelineWorkflowId;
        if (started.outcome === 'unchanged') result.retrainSkipped = `data ${dataVersion} unchanged: already trained by ${started.pipelineWorkflowId}`;
      } else {
        result.retrainWorkflowId = await startRetraining(definition.model, windowKey, source);
      }
    }
  }
  upsertMemo({
    summary: `${definition.model} ${summary.outcome}${summary.share !== undefined ? ` (${Math.round(summary.share * 100)}% of features)` : ''}${result.retrainSkipped ? `, no retraining: ${result.retrainSkipped}` : result.retrainWorkflowId ? `, retraining ${result.retrainWorkflowId}` : ''}`,
    report: summary.reportPath ?? null,
  });
  return result;
}

/** Runs recorded before retraining was keyed by the data: one retraining per model and window. */
async function startRetraining(model: string, windowKey: string, source: { pipelineFile?: string; pipeline?: unknown }): Promise<string> {
  const workflowId = `pipeline/${model}/drift-${windowKey}`;
  try {
    await startChild(modelPipeline, {
      workflowId,
      args: [{ ...(source as { pipelineFile?: string }), trigger: 'drift' }],
      // The retraining outlives this check; it is not cancelled with it.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return workflowId;
}
