/** The state object `modelPipeline` keeps and returns from its `status` query. Pure types. */
import type { GateResult } from '../src/evaluate/gate-result.js';

export type PipelineStepName = 'load-definition' | 'snapshot-data' | 'check-contract' | 'train' | 'evaluate' | 'register';

export type PipelineOutcome = 'registered' | 'rejected' | 'invalid-definition' | 'contract-violation' | 'failed';

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
}

export interface PipelineResult {
  model: string;
  outcome: 'registered' | 'rejected';
  version: number;
  status: 'candidate' | 'rejected';
  dataVersion: string;
  metrics: Record<string, number>;
  gates: GateResult[];
  reasons: string[];
  steps: StepRecord[];
}
