/**
 * Merging the timeline's sources into one time-ordered list. The same fact may arrive twice (a
 * record read twice, a source asked again) or from two sources (a traffic change the gateway
 * journaled and the canary's activity result reported with the same revision and weights):
 * merging is idempotent and order-independent, so re-running `mlops history` never shows a
 * fact twice or in another order.
 */
import { describeWeights, KIND_ORDER, type TimelineEvent, type TimelineSource } from './timeline-event.js';

export function mergeTimeline(...lists: readonly (readonly TimelineEvent[])[]): TimelineEvent[] {
  const exact = new Map<string, TimelineEvent>();
  const traffic = new Map<string, TimelineEvent[]>();
  for (const event of lists.flat()) {
    if (event.kind === 'traffic' && event.revision !== undefined) {
      const key = `${event.revision}\u0000${canonicalJson(event.weights ?? {})}`;
      traffic.set(key, [...(traffic.get(key) ?? []), event]);
    } else {
      exact.set(canonicalJson(event), event);
    }
  }
  const combined = [...exact.values(), ...[...traffic.values()].map(combineTrafficReports)];
  return combined.sort(compareEvents);
}

/** Events from `since` on (inclusive). */
export function eventsSince(events: readonly TimelineEvent[], since: Date): TimelineEvent[] {
  return events.filter((event) => Date.parse(event.time) >= since.getTime());
}

export function compareEvents(a: TimelineEvent, b: TimelineEvent): number {
  return Date.parse(a.time) - Date.parse(b.time) || KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || compareStrings(canonicalJson(a), canonicalJson(b));
}

/** A traffic event in its one canonical form: the summary follows from the fields. */
export function trafficEvent(fields: Omit<TimelineEvent, 'kind' | 'summary' | 'versions'> & { weights: Record<string, number>; revision: number }): TimelineEvent {
  const versions = Object.keys(fields.weights).map(Number).sort((a, b) => a - b);
  const by = fields.workflowId ? ` by ${fields.workflowId}` : fields.actor ? ` by ${fields.actor}` : '';
  return { ...withoutUndefined(fields), kind: 'traffic', versions, summary: `${describeWeights(fields.weights)} (revision ${fields.revision})${by}`, sources: [...fields.sources].sort() };
}

/**
 * One change reported by several records: the gateway's time is when traffic really moved (the
 * activity's completion comes a little later); who and why come from whichever record knows.
 */
function combineTrafficReports(reports: TimelineEvent[]): TimelineEvent {
  const fromGateway = reports.filter((report) => report.sources.includes('gateway'));
  const times = (fromGateway.length > 0 ? fromGateway : reports).map((report) => report.time);
  const sources = [...new Set(reports.flatMap((report) => report.sources))].sort() as TimelineSource[];
  const first = (pick: (report: TimelineEvent) => string | undefined) => reports.map(pick).filter((value): value is string => value !== undefined).sort(compareStrings)[0];
  return trafficEvent({
    time: times.sort((a, b) => Date.parse(a) - Date.parse(b) || compareStrings(a, b))[0]!,
    weights: reports[0]!.weights!,
    revision: reports[0]!.revision!,
    workflowId: first((report) => report.workflowId),
    actor: first((report) => report.actor),
    reason: first((report) => report.reason),
    sources,
  });
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}

/** JSON with object keys sorted: equal facts give equal strings whatever order they were built in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) =>
    field && typeof field === 'object' && !Array.isArray(field) ? Object.fromEntries(Object.entries(field).sort(([a], [b]) => compareStrings(a, b))) : field,
  );
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
