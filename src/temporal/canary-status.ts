/** The state `canaryRollout` keeps, returns from its `status` query and carries over continue-as-new. */
import type { CanaryAnalysisState } from '../canary/analysis-state.js';

export type CanaryPhase = 'deploying' | 'analysing' | 'paused' | 'holding' | 'promoting' | 'rolling-back' | 'promoted' | 'rolled-back';

export interface CanaryStatus {
  model: string;
  canaryVersion: number;
  championVersion?: number;
  phase: CanaryPhase;
  /** Current canary weight in percent. */
  weight: number;
  /** Milliseconds left in the current step's window (frozen while paused). */
  windowRemainingMs?: number;
  paused: boolean;
  analysis: CanaryAnalysisState;
  /** Human and automatic decisions, newest last: `advance to 25%`, `abort by alice: …`. */
  events: { at: string; message: string }[];
  outcome?: CanaryOutcome;
}

export interface CanaryOutcome {
  result: 'promoted' | 'rolled-back';
  reason: string;
  version: number;
  championVersion?: number;
}
