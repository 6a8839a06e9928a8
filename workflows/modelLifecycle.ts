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

  const note = (event: LifecycleStatus['log'][number]['event'], pipelineWorkflowId: string, detail?: string) => {
    state.log.push({ at: new Date().toISOString(), event, pipelineWorkflowId, ...(detail !== undefined && { detail }) });
    if (state.log.length > LOG_LIMIT) state.log.splice(0, state.log.length - LOG_LIMIT);
  };
  const answer = async (pipelineWorkflowId: string, message: RolloutAnswer): Promise<boolean> => {
    try {
      await getExternalWorkflowHandle(pipelineWorkflowId).signal(rolloutAnswerSignal, message);
      return true;
    } catch {
      return false; // the pipeline has ended: nobody to answer
    }
  };

  for (;;) {
    // Requests first (in arrival order), then releases, then hand the slot on.
    while (inbox.length > 0) await admit(inbox.shift()!);
    for (const id of released) {
      released.delete(id);
      if (state.holder?.pipelineWorkflowId === id) {
        note('released', id);
        state.holder = null;
      } else {
        // A run that gives up while still waiting leaves the queue.
        state.waiting = state.waiting.filter((request) => request.pipelineWorkflowId !== id);
      }
    }
    while (!state.holder && state.waiting.length > 0) {
      const next = state.waiting.shift()!;
      state.holder = { ...next, grantedAt: new Date().toISOString() };
      if (await answer(next.pipelineWorkflowId, { granted: true })) note('granted', next.pipelineWorkflowId, `v${next.version}`);
      else {
        note('holder-gone', next.pipelineWorkflowId, 'ended before its turn');
        state.holder = null;
      }
    }
    if (inbox.length > 0 || released.size > 0) continue;

    if (!state.holder && state.waiting.length === 0) {
      if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof modelLifecycle>({ model: state.model, log: state.log });
      if (!(await condition(() => inbox.length > 0 || released.size > 0, IDLE_FOR))) return state;
      continue;
    }
    if (await condition(() => inbox.length > 0 || released.size > 0, PROBE_EVERY)) continue;
    // Quiet for a while: is the holder still there? Signalling an ended workflow fails.
    if (state.holder) {
      try {
        await getExternalWorkflowHandle(state.holder.pipelineWorkflowId).signal(rolloutAnswerSignal, { granted: true });
      } catch {
        note('holder-gone', state.holder.pipelineWorkflowId, 'ended without releasing the slot');
        state.holder = null;
      }
    }
    if (workflowInfo().continueAsNewSuggested && inbox.length === 0 && released.size === 0) {
      await continueAsNew<typeof modelLifecycle>({ model: state.model, holder: state.holder, pending: state.waiting, log: state.log });
    }
  }

  async function admit(request: RolloutRequest): Promise<void> {
    const id = request.pipelineWorkflowId;
    // Idempotent: a retried request from the holder is answered again; a waiting one keeps its place.
    if (state.holder?.pipelineWorkflowId === id) {
      await answer(id, { granted: true });
      return;
    }
    if (state.waiting.some((waiting) => waiting.pipelineWorkflowId === id)) return;
    const busy = state.holder !== null || state.waiting.length > 0;
    if (!busy) {
      state.waiting.push(request);
      return;
    }
    if (request.concurrency === 'skip') {
      const reason = state.holder ? `${state.holder.pipelineWorkflowId} (v${state.holder.version}) is rolling out` : `${state.waiting.length} run(s) wait for the slot`;
      note('skipped', id, reason);
      await answer(id, { granted: false, reason: `deploy.concurrency is skip and ${reason}` });
      return;
    }
    if (request.concurrency === 'supersede') {
      for (const dropped of state.waiting) {
        note('superseded', dropped.pipelineWorkflowId, `by ${id} while waiting`);
        await answer(dropped.pipelineWorkflowId, { granted: false, reason: `superseded by ${id} (v${request.version}) before its turn` });
      }
      state.waiting = [request];
      if (state.holder) {
        note('superseded', state.holder.pipelineWorkflowId, `by ${id}: rolling back`);
        try {
          await getExternalWorkflowHandle(state.holder.pipelineWorkflowId).signal(rolloutSupersededSignal, { by: id });
        } catch {
          note('holder-gone', state.holder.pipelineWorkflowId, 'ended without releasing the slot');
          state.holder = null;
        }
      }
      return;
    }
    note('queued', id, `behind ${state.holder?.pipelineWorkflowId ?? state.waiting[0]!.pipelineWorkflowId}`);
    state.waiting.push(request);
  }
}
