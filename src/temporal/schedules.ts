/**
 * The Temporal Schedules a pipeline definition asks for: `drift/<model>` runs driftMonitor,
 * `performance/<model>` runs performanceMonitor (monitor.performance) and
 * `retrain/<model>` runs retrainWhenDataChanged (modelPipeline keyed by the data), both with overlap SKIP (a slow run is never doubled).
 * `apply` creates what is missing, updates what changed and deletes what the definition dropped.
 */
import path from 'node:path';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleDescription } from '@temporalio/client';
import { loadDefinitionFile } from '../spec/load.js';
import { MODEL, TRIGGER } from './contract.js';
import type { Settings } from './settings.js';

export interface PlannedSchedule {
  scheduleId: string;
  workflowType: 'driftMonitor' | 'performanceMonitor' | 'retrainWhenDataChanged';
  cron: string;
  args: unknown[];
}

export type ApplyResult = { scheduleId: string; action: 'created' | 'updated' | 'unchanged' | 'deleted'; cron?: string };

export async function planSchedules(file: string): Promise<{ model: string; schedules: PlannedSchedule[] }> {
  const { definition } = await loadDefinitionFile(file);
  const pipelineFile = path.resolve(file);
  const schedules: PlannedSchedule[] = [];
  const drift = definition.monitor?.drift;
  if (drift) schedules.push({ scheduleId: `drift/${definition.model}`, workflowType: 'driftMonitor', cron: drift.schedule, args: [{ pipelineFile }] });
  const performance = definition.monitor?.performance;
  if (performance) schedules.push({ scheduleId: `performance/${definition.model}`, workflowType: 'performanceMonitor', cron: performance.schedule, args: [{ pipelineFile }] });
  const retrain = definition.monitor?.retrain;
  // Keyed by the data: a schedule firing on bytes already trained on does nothing and says so.
  if (retrain) schedules.push({ scheduleId: `retrain/${definition.model}`, workflowType: 'retrainWhenDataChanged', cron: retrain.schedule, args: [{ pipelineFile, trigger: 'schedule' }] });
  return { model: definition.model, schedules };
}

export async function applySchedules(client: Client, settings: Settings, file: string): Promise<ApplyResult[]> {
  const { model, schedules } = await planSchedules(file);
  const results: ApplyResult[] = [];
  for (const planned of schedules) {
    const options = {
      spec: { cronExpressions: [planned.cron] },
      action: {
        type: 'startWorkflow' as const,
        workflowType: planned.workflowType,
        workflowId: planned.scheduleId,
        taskQueue: settings.taskQueue,
        args: planned.args,
        typedSearchAttributes: [{ key: MODEL, value: model }, { key: TRIGGER, value: 'schedule' }],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
      // The server turns cron strings into calendars; the note keeps what the definition said.
      state: { note: noteFor(planned.cron) },
    };
    const handle = client.schedule.getHandle(planned.scheduleId);
    const existing = await handle.describe().catch((err: unknown) => {
      if (err instanceof ScheduleNotFoundError) return undefined;
      throw err;
    });
    if (!existing) {
      await client.schedule.create({ scheduleId: planned.scheduleId, ...options });
      results.push({ scheduleId: planned.scheduleId, action: 'created', cron: planned.cron });
    } else if (sameSchedule(existing, planned, settings.taskQueue)) {
      results.push({ scheduleId: planned.scheduleId, action: 'unchanged', cron: planned.cron });
    } else {
      await handle.update((previous) => ({
        ...previous,
        spec: options.spec,
        action: options.action,
        policies: { ...previous.policies, ...options.policies },
        state: { ...previous.state, note: noteFor(planned.cron) },
      }));
      results.push({ scheduleId: planned.scheduleId, action: 'updated', cron: planned.cron });
    }
  }
  // Schedules of this model that the definition no longer asks for.
  for (const kind of ['drift', 'performance', 'retrain']) {
    const scheduleId = `${kind}/${model}`;
    if (schedules.some((s) => s.scheduleId === scheduleId)) continue;
    try {
      await client.schedule.getHandle(scheduleId).delete();
      results.push({ scheduleId, action: 'deleted' });
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }
  return results;
}

function sameSchedule(existing: ScheduleDescription, planned: PlannedSchedule, taskQueue: string): boolean {
  const action = existing.action as { workflowType?: string; taskQueue?: string; args?: unknown[] };
  return (
    action.workflowType === planned.workflowType &&
    action.taskQueue === taskQueue &&
    JSON.stringify(action.args ?? []) === JSON.stringify(planned.args) &&
    existing.state.note === noteFor(planned.cron)
  );
}

function noteFor(cron: string): string {
  return `cron: ${cron.trim()} (from the pipeline definition; change it there and run mlops schedule apply)`;
}
