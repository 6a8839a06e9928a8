/**
 * `mlops history --at T`: which versions served which share of traffic at T, read from the
 * recorded traffic changes. The split at T is the one set by the last change at or before T
 * (ties on time: the higher revision, which the gateway committed later).
 */
import type { TimelineEvent } from './timeline-event.js';

export type TrafficAtAnswer =
  | {
      at: string;
      recorded: false;
      /** The first recorded change, when there is one (after T). */
      firstChangeAt?: string;
    }
  | {
      at: string;
      recorded: true;
      /** Versions taking a share (weight > 0), largest first; empty when versions were routed but none weighted yet. */
      serving: { version: number; weight: number }[];
      /** The whole table at T, version → percent (0 included). */
      weights: Record<string, number>;
      revision: number;
      changedAt: string;
      workflowId?: string;
    };

export function trafficAt(events: readonly TimelineEvent[], at: Date): TrafficAtAnswer {
  const changes = events.filter((event) => event.kind === 'traffic' && event.weights !== undefined && event.revision !== undefined);
  const atIso = at.toISOString();
  let last: TimelineEvent | undefined;
  for (const change of changes) {
    if (Date.parse(change.time) > at.getTime()) continue;
    if (!last || Date.parse(change.time) > Date.parse(last.time) || (change.time === last.time && change.revision! > last.revision!)) last = change;
  }
  if (!last) {
    const first = changes.map((change) => change.time).sort((a, b) => Date.parse(a) - Date.parse(b))[0];
    return { at: atIso, recorded: false, ...(first ? { firstChangeAt: first } : {}) };
  }
  const serving = Object.entries(last.weights!)
    .map(([version, weight]) => ({ version: Number(version), weight }))
    .filter((entry) => entry.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.version - b.version);
  return { at: atIso, recorded: true, serving, weights: last.weights!, revision: last.revision!, changedAt: last.time, ...(last.workflowId ? { workflowId: last.workflowId } : {}) };
}

/** One line: `at T: v2 30%, v1 70% (revision 7, set at … by canary/m/2)`, or why there is no answer. */
export function describeTrafficAt(model: string, answer: TrafficAtAnswer): string {
  if (!answer.recorded) {
    return answer.firstChangeAt
      ? `at ${answer.at}: no traffic change of "${model}" recorded yet (the first is at ${answer.firstChangeAt}); T is before any record`
      : `at ${answer.at}: no traffic change of "${model}" is recorded at all`;
  }
  const split = answer.serving.length === 0 ? 'no version took traffic (routed, all weights 0)' : answer.serving.map((entry) => `v${entry.version} ${entry.weight}%`).join(', ');
  return `at ${answer.at}: ${split} (revision ${answer.revision}, set at ${answer.changedAt}${answer.workflowId ? ` by ${answer.workflowId}` : ''})`;
}
