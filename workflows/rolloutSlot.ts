/**
 * The pipeline's side of the one-rollout-per-model rule (see modelLifecycle.ts): ask the model's
 * coordinator for the slot, wait for its answer, hear when a newer run supersedes this one, and
 * give the slot back. Workflow code: the coordinator is started as an abandoned child if it is not
 * running, and signalled if it is, so no activity and no client are needed.
 */
import {
  condition,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { releaseRolloutSignal, requestRolloutSignal, rolloutAnswerSignal, rolloutSupersededSignal } from '../src/temporal/contract.js';
import { lifecycleWorkflowId, type ConcurrencyMode, type RolloutAnswer, type RolloutRequest } from '../src/temporal/lifecycle-status.js';
import { MODEL } from './search-attributes.js';
import { modelLifecycle } from './modelLifecycle.js';

export interface RolloutSlot {
  /** Resolves with the coordinator's answer (a grant, or the reason there will be none). */
  answer: () => Promise<RolloutAnswer>;
  /** Set when a newer run supersedes this one (supersede); the canary must roll back. */
  supersededBy: () => string | undefined;
  release: () => Promise<void>;
}

/** Registers the handlers, then asks for the slot. Call once, before the canary. */
export async function requestRolloutSlot(model: string, version: number, concurrency: ConcurrencyMode): Promise<RolloutSlot> {
  let answer: RolloutAnswer | undefined;
  let supersededBy: string | undefined;
  // A repeated grant (the coordinator's liveness probe) changes nothing; a refusal after a grant cannot happen.
  setHandler(rolloutAnswerSignal, (message) => void (answer ??= message));
  setHandler(rolloutSupersededSignal, ({ by }) => void (supersededBy ??= by));

  const { workflowId } = workflowInfo();
  const coordinatorId = lifecycleWorkflowId(model);
  const request: RolloutRequest = { pipelineWorkflowId: workflowId, version, concurrency, requestedAt: new Date().toISOString() };
  for (let attempt = 1; ; attempt++) {
    try {
      await startChild(modelLifecycle, {
        workflowId: coordinatorId,
        args: [{ model, pending: [request] }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        typedSearchAttributes: [{ key: MODEL, value: model }],
      });
      break;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    try {
      await getExternalWorkflowHandle(coordinatorId).signal(requestRolloutSignal, request);
      break;
    } catch (err) {
      // It ended (idle) between the two calls: start it again.
      if (attempt >= 10) throw err;
      await sleep('1 second');
    }
  }

  return {
    answer: async () => {
      await condition(() => answer !== undefined);
      return answer!;
    },
    supersededBy: () => supersededBy,
    release: async () => {
      try {
        await getExternalWorkflowHandle(coordinatorId).signal(releaseRolloutSignal, { pipelineWorkflowId: workflowId });
      } catch {
        // The coordinator is gone, and the slot with it.
      }
    },
  };
}
