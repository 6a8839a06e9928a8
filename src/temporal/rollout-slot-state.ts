/**
 * The decisions of the per-model rollout coordinator (workflows/modelLifecycle.ts) as pure
 * functions of its state: who asks, who holds the slot, who waits. The workflow carries out the
 * effects (signals to pipelines) and feeds back what it learns (a pipeline that has ended).
 * Invariants (test/unit/temporal/rollout-slot-state.property.test.ts): at most one holder; a run
 * is answered at most once with a refusal and never both granted and refused; `skip` never
 * waits; after `supersede` at most one run waits; `queue` keeps arrival order.
 */
import type { LifecycleStatus, RolloutAnswer, RolloutRequest } from './lifecycle-status.js';

export type SlotState = Pick<LifecycleStatus, 'holder' | 'waiting'>;

export type SlotEffect =
  | { kind: 'answer'; pipelineWorkflowId: string; answer: RolloutAnswer }
  /** Tell the holder a newer run supersedes it: it rolls its canary back and releases. */
  | { kind: 'supersede'; pipelineWorkflowId: string; by: string }
  | { kind: 'note'; event: LifecycleStatus['log'][number]['event']; pipelineWorkflowId: string; detail?: string };

export interface SlotStep {
  state: SlotState;
  effects: SlotEffect[];
}

/** A request arrives (idempotent per pipeline workflow id). */
export function admitRequest(state: SlotState, request: RolloutRequest): SlotStep {
  const id = request.pipelineWorkflowId;
  // A retried request from the holder is answered again; a waiting one keeps its place.
  if (state.holder?.pipelineWorkflowId === id) return { state, effects: [{ kind: 'answer', pipelineWorkflowId: id, answer: { granted: true } }] };
  if (state.waiting.some((waiting) => waiting.pipelineWorkflowId === id)) return { state, effects: [] };
  const busy = state.holder !== null || state.waiting.length > 0;
  if (!busy) return { state: { ...state, waiting: [request] }, effects: [] };

  if (request.concurrency === 'skip') {
    const reason = state.holder ? `${state.holder.pipelineWorkflowId} (v${state.holder.version}) is rolling out` : `${state.waiting.length} run(s) wait for the slot`;
    return {
      state,
      effects: [
        { kind: 'note', event: 'skipped', pipelineWorkflowId: id, detail: reason },
        { kind: 'answer', pipelineWorkflowId: id, answer: { granted: false, reason: `deploy.concurrency is skip and ${reason}` } },
      ],
    };
  }
  if (request.concurrency === 'supersede') {
    const effects: SlotEffect[] = state.waiting.flatMap((dropped): SlotEffect[] => [
      { kind: 'note', event: 'superseded', pipelineWorkflowId: dropped.pipelineWorkflowId, detail: `by ${id} while waiting` },
      { kind: 'answer', pipelineWorkflowId: dropped.pipelineWorkflowId, answer: { granted: false, reason: `superseded by ${id} (v${request.version}) before its turn` } },
    ]);
    if (state.holder) {
      effects.push(
        { kind: 'note', event: 'superseded', pipelineWorkflowId: state.holder.pipelineWorkflowId, detail: `by ${id}: rolling back` },
        { kind: 'supersede', pipelineWorkflowId: state.holder.pipelineWorkflowId, by: id },
      );
    }
    return { state: { ...state, waiting: [request] }, effects };
  }
  const behind = state.holder?.pipelineWorkflowId ?? state.waiting[0]!.pipelineWorkflowId;
  return { state: { ...state, waiting: [...state.waiting, request] }, effects: [{ kind: 'note', event: 'queued', pipelineWorkflowId: id, detail: `behind ${behind}` }] };
}

/** A pipeline gives the slot back, or gives up waiting, or has ended (`gone`). */
export function releaseSlot(state: SlotState, pipelineWorkflowId: string, gone = false): SlotStep {
  if (state.holder?.pipelineWorkflowId === pipelineWorkflowId) {
    return { state: { ...state, holder: null }, effects: [{ kind: 'note', event: gone ? 'holder-gone' : 'released', pipelineWorkflowId, ...(gone && { detail: 'ended without releasing the slot' }) }] };
  }
  return { state: { ...state, waiting: state.waiting.filter((request) => request.pipelineWorkflowId !== pipelineWorkflowId) }, effects: [] };
}

/** With the slot free, the first waiting run gets it. */
export function grantNext(state: SlotState, now: string): SlotStep {
  if (state.holder || state.waiting.length === 0) return { state, effects: [] };
  const [next, ...rest] = state.waiting;
  return {
    state: { holder: { ...next!, grantedAt: now }, waiting: rest },
    effects: [
      { kind: 'answer', pipelineWorkflowId: next!.pipelineWorkflowId, answer: { granted: true } },
      { kind: 'note', event: 'granted', pipelineWorkflowId: next!.pipelineWorkflowId, detail: `v${next!.version}` },
    ],
  };
}
