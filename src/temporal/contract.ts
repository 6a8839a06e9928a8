/**
 * The Temporal contract both sides share: signals, queries and search-attribute keys of our
 * workflows. Workflows and clients (CLI, API, schedules) import it from here, so src/ never
 * imports workflows/. Only workflow-safe imports (the bundle is deterministic).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PipelineStatus } from './pipeline-status.js';

export { DATA_VERSION, MODEL, MODEL_VERSION, OUTCOME, TRIGGER } from './search-attributes.js';

/** The run's state as it is: current step, finished steps with timings, results so far. */
export const pipelineStatusQuery = defineQuery<PipelineStatus>('status');

// ---------------------------------------------------------------- canaryRollout

import type { ApprovalAnswer, ApprovalDecision, CanaryStatus } from './canary-status.js';

/** Promote now, skipping the remaining steps and windows. */
export const approveSignal = defineSignal<[{ by?: string; reason?: string }?]>('approve');
/** Roll back now: traffic to the champion, then retire the canary. Honoured in every state. */
export const abortSignal = defineSignal<[{ by?: string; reason?: string }?]>('abort');
/** Stop the clock: no checks, no step changes, the window's remaining time is kept. */
export const pauseSignal = defineSignal<[{ by?: string }?]>('pause');
export const resumeSignal = defineSignal<[{ by?: string }?]>('resume');
export const canaryStatusQuery = defineQuery<CanaryStatus>('status');
/**
 * Decide a waiting approval gate (deploy.approval). Accepted only while a gate waits and from a
 * named person; otherwise rejected before it reaches history, with the reason.
 *   temporal workflow update execute --name approval --workflow-id <id> --input '{"decision":"approve","by":"alice"}'
 */
export const approvalUpdate = defineUpdate<ApprovalAnswer, [ApprovalDecision]>('approval');

// ---------------------------------------------------------------- modelLifecycle (lifecycle/<model>)

import type { LifecycleStatus, RolloutAnswer, RolloutRequest } from './lifecycle-status.js';

/** A pipeline asks for the model's one rollout slot (idempotent per pipeline workflow id). */
export const requestRolloutSignal = defineSignal<[RolloutRequest]>('requestRollout');
/** A pipeline gives the slot back once its canary has an outcome (or it never needed it). */
export const releaseRolloutSignal = defineSignal<[{ pipelineWorkflowId: string }]>('releaseRollout');
/** The coordinator's answer to a pipeline: go, or not at all (skip, or superseded while queued). */
export const rolloutAnswerSignal = defineSignal<[RolloutAnswer]>('rolloutAnswer');
/** To the pipeline holding the slot: a newer run supersedes it; roll the canary back now. */
export const rolloutSupersededSignal = defineSignal<[{ by: string }]>('rolloutSuperseded');
/** The coordinator's state: who holds the slot, who waits. */
export const lifecycleStatusQuery = defineQuery<LifecycleStatus>('status');
