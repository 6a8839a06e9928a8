/**
 * modelLifecycle (`lifecycle/<model>`): one rollout per model at a time. Pipelines of the model
 * ask it for the rollout slot once they have registered a candidate, and give it back when their
 * canary has an outcome; it answers each in turn by the asker's `deploy.concurrency`:
 *   queue      wait behind the holder and anyone already waiting
 *   skip       the slot is taken (or others wait): no rollout for this run
 *   supersede  the holder is told to roll back now; whoever waited is dropped; this run goes next
 * Its state lives in Temporal, not in a worker: a worker killed at any moment leaves the holder,
 * the queue and every answer as they were. A holder that ends without giving the slot back
 * (terminated by hand) is noticed by a periodic probe, so the queue never waits forever.
 */
import { condition, continueAsNew, getExternalWorkflowHandle, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  lifecycleStatusQuery,
  releaseRolloutSignal,
  requestRolloutSignal,
  rolloutAnswerSignal,
  rolloutSupersededSignal,
} from '../src/temporal/contract.js';
import type { LifecycleStatus, RolloutAnswer, RolloutRequest } from '../src/temporal/lifecycle-status.js';
import { admitRequest, grantNext, releaseSlot, type SlotStep } from '../src/temporal/rollout-slot-state.js';

export interface ModelLifecycleInput {
  model: string;
  /** The request that started it, or the state carried over by continue-as-new. */
  pending?: RolloutRequest[];
  holder?: LifecycleStatus['holder'];
  log?: LifecycleStatus['log'];
}

/** How long a holder may stay silent before the coordinator checks it still exists. */
const PROBE_EVERY = '5 minutes';
/** With nobody holding or waiting for this long, the coordinator ends (the next request starts it again). */
const IDLE_FOR = '1 hour';
const LOG_LIMIT = 50;

export async function modelLifecycle(input: ModelLifecycleInput): Promise<LifecycleStatus> {
  const state: LifecycleStatus = { model: input.model, holder: input.holder ?? null, waiting: [], log: input.log ?? [] };
  const inbox: RolloutRequest[] = [...(input.pending ?? [])];
  const released = new Set<string>();
  setHandler(lifecycleStatusQuery, () => state);
  setHandler(requestRolloutSignal, (request) => void inbox.push(request));
  setHandler(releaseRolloutSignal, ({ pipelineWorkflowId }) => void released.add(pipelineWorkflowId));

  /** Applies a decision (rollout-slot-state.ts) and carries out its effects; a pipeline found gone is released. */
  const apply = async (step: SlotStep): Promise<void> => {
    state.holder = step.state.holder;
    state.waiting = step.state.waiting;
    for (const effect of step.effects) {
      if (effect.kind === 'note') {
        state.log.push({ at: new Date().toISOString(), event: effect.event, pipelineWorkflowId: effect.pipelineWorkflowId, ...(effect.detail !== undefined && { detail: effect.detail }) });
        if (state.log.length > LOG_LIMIT) state.log.splice(0, state.log.length - LOG_LIMIT);
        continue;
      }
      const delivered = await signalPipeline(effect.pipelineWorkflowId, effect);
      // Signalling an ended workflow fails: a holder (or a run just granted) that has ended frees the slot.
      if (!delivered && state.holder?.pipelineWorkflowId === effect.pipelineWorkflowId) await apply(releaseSlot(state, effect.pipelineWorkflowId, true));
    }
  };

  for (;;) {
    // Requests first (in arrival order), then releases, then hand the slot on.
    while (inbox.length > 0) await apply(admitRequest(state, inbox.shift()!));
    for (const id of [...released]) {
      released.delete(id);
      await apply(releaseSlot(state, id));
    }
    while (!state.holder && state.waiting.length > 0) await apply(grantNext(state, new Date().toISOString()));
    if (inbox.length > 0 || released.size > 0) continue;

    if (!state.holder && state.waiting.length === 0) {
      if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof modelLifecycle>({ model: state.model, log: state.log });
      if (!(await condition(() => inbox.length > 0 || released.size > 0, IDLE_FOR))) return state;
      continue;
    }
    if (await condition(() => inbox.length > 0 || released.size > 0, PROBE_EVERY)) continue;
    // Quiet for a while: is the holder still there? (A repeated grant changes nothing for it.)
    if (state.holder && !(await signalPipeline(state.holder.pipelineWorkflowId, { kind: 'answer', answer: { granted: true } }))) {
      await apply(releaseSlot(state, state.holder.pipelineWorkflowId, true));
    }
    if (workflowInfo().continueAsNewSuggested && inbox.length === 0 && released.size === 0) {
      await continueAsNew<typeof modelLifecycle>({ model: state.model, holder: state.holder, pending: state.waiting, log: state.log });
    }
  }
}

/** Sends an answer or a supersede notice; false when the pipeline has ended. */
async function signalPipeline(pipelineWorkflowId: string, effect: { kind: 'answer'; answer: RolloutAnswer } | { kind: 'supersede'; by: string }): Promise<boolean> {
  try {
    const handle = getExternalWorkflowHandle(pipelineWorkflowId);
    if (effect.kind === 'answer') await handle.signal(rolloutAnswerSignal, effect.answer);
    else await handle.signal(rolloutSupersededSignal, { by: effect.by });
    return true;
  } catch {
    return false;
  }
}
