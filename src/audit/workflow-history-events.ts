/**
 * A workflow's side of the timeline, read from its Temporal event history (what the workflow
 * actually did, with server timestamps): modelPipeline runs (trigger, data version, gate results,
 * outcome) and canaryRollout runs (traffic changes with the gateway's revision, people's signals,
 * approval Updates with who and why, promotion or rollback with the reason). Pure: the history
 * comes in, events come out, so recorded histories test it.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time.js';
import proto, { type temporal as protos } from '@temporalio/proto';
import type { CanaryOutcome } from '../temporal/canary-status.js';
import type { PipelineResult } from '../temporal/pipeline-status.js';
import type { GateResult } from '../evaluate/gate-result.js';
import { trafficEvent } from './merge-timeline.js';
import type { TimelineEvent } from './timeline-event.js';

type History = protos.api.history.v1.IHistory;
type HistoryEvent = protos.api.history.v1.IHistoryEvent;
type Payloads = protos.api.common.v1.IPayloads | null | undefined;
// @temporalio/proto is CommonJS: under Node's ESM loader its values come through the default export.
const EventType = proto.temporal.api.enums.v1.EventType;

const HUMAN_SIGNALS = new Set(['approve', 'abort', 'pause', 'resume']);

export function workflowHistoryTimeline(history: History, workflowId: string): TimelineEvent[] {
  const events = history.events ?? [];
  const started = events[0]?.workflowExecutionStartedEventAttributes;
  const workflowType = started?.workflowType?.name ?? '';
  const input = firstPayload<Record<string, unknown>>(started?.input);
  const scheduled = new Map<string, { activity: string; input: unknown }>();
  const out: TimelineEvent[] = [];
  const at = (event: HistoryEvent) => new Date(tsToMs(event.eventTime)).toISOString();
  const base = (event: HistoryEvent) => ({ time: at(event), workflowId, sources: ['workflow' as const] });

  if (events[0] && workflowType === 'canaryRollout' && input && !input.carried) {
    const canary = Number(input.canaryVersion);
    const champion = input.championVersion === undefined ? undefined : Number(input.championVersion);
    out.push({ ...base(events[0]), kind: 'canary-started', versions: champion === undefined ? [canary] : [canary, champion], summary: `canary of v${canary} started${champion === undefined ? ' (first version: no champion)' : ` against champion v${champion}`}` });
  }
  if (events[0] && workflowType === 'modelPipeline') {
    const trigger = typeof input?.trigger === 'string' ? input.trigger : 'ui';
    out.push({ ...base(events[0]), kind: 'training-run', versions: [], actor: trigger, summary: `training run started (trigger ${trigger})`, details: { phase: 'started', trigger } });
  }

  for (const event of events) {
    switch (event.eventType) {
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const attributes = event.activityTaskScheduledEventAttributes!;
        scheduled.set(String(event.eventId), { activity: attributes.activityType?.name ?? '', input: firstPayload(attributes.input) });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const attributes = event.activityTaskCompletedEventAttributes!;
        const activity = scheduled.get(String(attributes.scheduledEventId));
        const split = firstPayload<{ weights?: Record<string, number>; revision?: number }>(attributes.result);
        if (activity?.activity === 'setTrafficWeights' && split?.weights && typeof split.revision === 'number') {
          out.push(trafficEvent({ ...base(event), weights: Object.fromEntries(Object.entries(split.weights).map(([version, weight]) => [version, Number(weight)])), revision: split.revision }));
        }
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
        const attributes = event.workflowExecutionSignaledEventAttributes!;
        const name = attributes.signalName ?? '';
        if (!HUMAN_SIGNALS.has(name)) break;
        const args = firstPayload<{ by?: string; reason?: string }>(attributes.input) ?? {};
        out.push({ ...base(event), kind: 'manual-action', versions: canaryVersions(input), ...who(args), summary: `${name}${args.by ? ` by ${args.by}` : ''}${args.reason ? `: ${args.reason}` : ''}`, details: { signal: name } });
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: {
        const request = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
        if (request?.name !== 'approval') break;
        const decision = firstPayload<{ decision?: string; by?: string; reason?: string }>(request.args) ?? {};
        out.push({ ...base(event), kind: 'approval', versions: canaryVersions(input), ...who(decision), summary: `${decision.decision === 'approve' ? 'approved' : 'rejected'} by ${decision.by ?? '?'}${decision.reason ? `: ${decision.reason}` : ''}`, details: { decision: decision.decision } });
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: {
        const result = firstPayload<Record<string, unknown>>(event.workflowExecutionCompletedEventAttributes?.result);
        if (workflowType === 'canaryRollout' && result) out.push(canaryOutcomeEvent(base(event), result as unknown as CanaryOutcome));
        if (workflowType === 'modelPipeline' && result) out.push(pipelineResultEvent(base(event), result as unknown as PipelineResult, input));
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: {
        const failure = event.workflowExecutionFailedEventAttributes?.failure?.message ?? event.workflowExecutionTerminatedEventAttributes?.reason ?? undefined;
        const ended = EventType[event.eventType!]!.replace('EVENT_TYPE_WORKFLOW_EXECUTION_', '').toLowerCase().replace('_', ' ');
        out.push({ ...base(event), kind: workflowType === 'modelPipeline' ? 'training-run' : 'canary-note', versions: canaryVersions(input), ...(failure ? { reason: failure } : {}), summary: `${workflowType} ${ended}${failure ? `: ${failure}` : ''}`, details: { phase: ended } });
        break;
      }
    }
  }
  return out;
}

function canaryOutcomeEvent(base: Pick<TimelineEvent, 'time' | 'workflowId' | 'sources'>, outcome: CanaryOutcome): TimelineEvent {
  const versions = outcome.championVersion === undefined ? [outcome.version] : [outcome.version, outcome.championVersion];
  const summary = outcome.result === 'promoted' ? `v${outcome.version} promoted: ${outcome.reason}` : `v${outcome.version} rolled back${outcome.championVersion === undefined ? '' : ` to v${outcome.championVersion}`}: ${outcome.reason}`;
  return { ...base, kind: outcome.result, versions, reason: outcome.reason, summary };
}

function pipelineResultEvent(base: Pick<TimelineEvent, 'time' | 'workflowId' | 'sources'>, result: PipelineResult, input: Record<string, unknown> | undefined): TimelineEvent {
  const gates: GateResult[] = result.gates ?? [];
  const failed = gates.filter((gate) => !gate.passed).map((gate) => gate.gate);
  const trigger = typeof input?.trigger === 'string' ? input.trigger : undefined;
  return {
    ...base,
    kind: 'training-run',
    versions: [result.version],
    ...(trigger ? { actor: trigger } : {}),
    ...(result.reasons?.length ? { reason: result.reasons.join('; ') } : {}),
    summary: `training run ${result.outcome}: v${result.version}, data ${String(result.dataVersion).slice(0, 16)}, ${gates.filter((gate) => gate.passed).length}/${gates.length} gates passed${failed.length ? ` (failed: ${failed.join(', ')})` : ''}${trigger ? `, trigger ${trigger}` : ''}`,
    details: { phase: 'finished', outcome: result.outcome, dataVersion: result.dataVersion, trigger, gates, metrics: result.metrics },
  };
}

function canaryVersions(input: Record<string, unknown> | undefined): number[] {
  return typeof input?.canaryVersion === 'number' ? [input.canaryVersion] : [];
}

function who(args: { by?: string; reason?: string }): Pick<TimelineEvent, 'actor' | 'reason'> {
  return { ...(args.by ? { actor: args.by } : {}), ...(args.reason ? { reason: args.reason } : {}) };
}

function firstPayload<T>(payloads: Payloads): T | undefined {
  const payload = payloads?.payloads?.[0];
  if (!payload) return undefined;
  try {
    return defaultPayloadConverter.fromPayload<T>(payload);
  } catch {
    // An encoded (e.g. encrypted) payload: the timeline shows what it can read.
    return undefined;
  }
}
