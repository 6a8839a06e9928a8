/** The messages and state of the per-model lifecycle coordinator (workflows/modelLifecycle.ts). */
export type ConcurrencyMode = 'queue' | 'skip' | 'supersede';

export interface RolloutRequest {
  pipelineWorkflowId: string;
  version: number;
  /** The requesting run's `deploy.concurrency`: how it treats a slot already taken. */
  concurrency: ConcurrencyMode;
  requestedAt: string;
}

export type RolloutAnswer = { granted: true } | { granted: false; reason: string };

export interface LifecycleStatus {
  model: string;
  holder: (RolloutRequest & { grantedAt: string }) | null;
  waiting: RolloutRequest[];
  /** The last decisions, newest last (bounded), for `temporal workflow query` and the history. */
  log: Array<{ at: string; event: 'granted' | 'queued' | 'skipped' | 'superseded' | 'released' | 'holder-gone'; pipelineWorkflowId: string; detail?: string }>;
}

export const lifecycleWorkflowId = (model: string) => `lifecycle/${model}`;
