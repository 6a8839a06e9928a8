/** The state object `modelPipeline` keeps and returns from its `status` query. Pure types. */
import type { GateResult } from '../evaluate/gate-result.js';
import type { CanaryOutcome } from './canary-status.js';
import type { AlertsSection } from '../spec/schema.js';

export type PipelineStepName = 'load-definition' | 'snapshot-data' | 'check-contract' | 'train' | 'evaluate' | 'register' | 'build-image' | 'rollout-slot' | 'canary';

export type PipelineOutcome = 'registered' | 'rejected' | 'promoted' | 'rolled-back' | 'skipped' | 'invalid-definition' | 'contract-violation' | 'failed';

export interface StepRecord {
  step: PipelineStepName;
  startedAt: string;
  finishedAt?: string;
  seconds?: number;
  /** One line for the run's timeline, e.g. `data version 3f2a… (120,000 rows)`. */
  summary?: string;
  error?: string;
}

export interface PipelineStatus {
  model?: string;
  trigger: string;
  dataVersion?: string;
  currentStep?: PipelineStepName;
  steps: StepRecord[];
  metrics?: Record<string, number>;
  gates?: GateResult[];
  version?: number;
  outcome?: PipelineOutcome;
  reasons?: string[];
  /** The definition's alert sinks (env var names only), for alerts raised on failure. */
  alerts?: AlertsSection;
}

export interface PipelineResult {
  model: string;
  /**
   * `registered` when the definition has no `deploy` section; otherwise the canary's result, or
   * `skipped` when another run of the model held the rollout slot (deploy.concurrency skip, or superseded while waiting).
   */
  outcome: 'registered' | 'rejected' | 'promoted' | 'rolled-back' | 'skipped';
  version: number;
  status: 'candidate' | 'rejected';
  canary?: CanaryOutcome;
  dataVersion: string;
  metrics: Record<string, number>;
  gates: GateResult[];
  reasons: string[];
  steps: StepRecord[];
}
