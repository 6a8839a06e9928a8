/**
 * One entry of a model's audit timeline (`mlops history`): a fact from the registry's audit trail,
 * a workflow's history, or the gateway's route-change journal, in one shape so they merge and
 * sort together. The JSON output is a list of these.
 */

export type TimelineEventKind =
  /** A modelPipeline run: started (trigger) or finished (data version, gates, outcome). */
  | 'training-run'
  /** The registry: a version registered, its status changed, an alias moved. */
  | 'registered'
  | 'status'
  | 'alias'
  /** A canaryRollout started for a version. */
  | 'canary-started'
  /** The traffic split changed (weights and the gateway's revision). */
  | 'traffic'
  /** One canary step's checks, counted, and the decision they led to. */
  | 'check-summary'
  /** An approval gate answered (the `approval` Update) by a person or its timeout. */
  | 'approval'
  /** A person's message to a canary (approve, abort, pause, resume signals). */
  | 'manual-action'
  | 'promoted'
  | 'rolled-back'
  /** Anything else the canary noted for people: window extended, held, an alert not delivered. */
  | 'canary-note';

export type TimelineSource = 'registry' | 'workflow' | 'gateway';

export interface TimelineEvent {
  /** ISO 8601, UTC, millisecond precision. */
  time: string;
  kind: TimelineEventKind;
  /** The versions the event is about (for traffic: every routed version). */
  versions: number[];
  /** version → percent, for traffic changes. */
  weights?: Record<string, number>;
  /** The gateway's route-table revision after a traffic change. */
  revision?: number;
  /** Who did it: a person (`alice@host`), the worker identity, or `gateway`. */
  actor?: string;
  reason?: string;
  workflowId?: string;
  /** Where the fact was read; a traffic change seen by both gateway and workflow lists both. */
  sources: TimelineSource[];
  /** One line for people. */
  summary: string;
  /** Kind-specific facts for tools (gates, data version, counters, …). */
  details?: Record<string, unknown>;
}

/** Orders kinds that share a timestamp the way they happen (a run before its registration, …). */
export const KIND_ORDER: readonly TimelineEventKind[] = [
  'training-run',
  'registered',
  'canary-started',
  'approval',
  'manual-action',
  'traffic',
  'check-summary',
  'canary-note',
  'status',
  'alias',
  'promoted',
  'rolled-back',
];

/** `v2 30%, v1 70%`: weights, largest share first. */
export function describeWeights(weights: Record<string, number>): string {
  const entries = Object.entries(weights).sort(([va, a], [vb, b]) => b - a || Number(va) - Number(vb));
  return entries.length === 0 ? 'no versions routed' : entries.map(([version, weight]) => `v${version} ${weight}%`).join(', ');
}
