/** The state `canaryRollout` keeps, returns from its `status` query and carries over continue-as-new. */
import type { CanaryAnalysisState } from '../canary/analysis-state.js';
import type { KpiComparison, KpiEvidence } from '../canary/kpi-comparison.js';

export type CanaryPhase = 'deploying' | 'shadowing' | 'experimenting' | 'analysing' | 'paused' | 'holding' | 'awaiting-approval' | 'promoting' | 'rolling-back' | 'promoted' | 'rolled-back';

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
  /** The shadow phase's verdict (deploy.shadow), once it has one. */
  shadow?: { passed: boolean; summary: string; reasons: string[] };
  /** Set while an approval gate waits for a person (deploy.approval). */
  approval?: ApprovalGateState;
  /** The A/B experiment (deploy.experiment): its split, clock and KPI report, updated every check. */
  experiment?: ExperimentState;
}

export interface ExperimentState {
  percent: number;
  startedAt: string;
  endsAt: string;
  /** Checks run (each adds its metrics window's KPI reports to the report). */
  checks: number;
  /** Each KPI's difference with its anytime-valid confidence sequence, as of the latest check. */
  report: KpiComparison[];
  /** The duration is over; the decision is a person's (approval gate `after-experiment`). */
  finished: boolean;
  /** KPI reports are counted from here on (after experiment.warmup). */
  countingFrom?: string;
  /** The KPI sums behind the report, both versions: carried over continue-as-new, as the report is rebuilt from them. */
  sums?: KpiEvidence;
  /** Failed measurements in a row (the fail-safe's count), carried over continue-as-new. */
  consecutiveErrors?: number;
}

export type ApprovalGate = 'before-canary' | 'before-promotion' | 'after-experiment';

export interface ApprovalGateState {
  gate: ApprovalGate;
  since: string;
  /** When the gate's `onTimeout` applies. */
  deadline: string;
  onTimeout: 'reject' | 'proceed';
  /** Checks run while waiting (before-promotion): monitoring does not stop for the gate. */
  checks: number;
  /** Failed measurements in a row while waiting, carried over continue-as-new. */
  consecutiveErrors?: number;
  lastCheck?: { at: string; verdict: string; reasons: string[] };
}

/** What a person sends to a waiting gate (the `approval` Update). */
export interface ApprovalDecision {
  decision: 'approve' | 'reject';
  /** Who decides: required, it goes to the audit trail. */
  by: string;
  reason?: string;
}

export interface ApprovalAnswer {
  gate: ApprovalGate;
  decision: 'approve' | 'reject';
  by: string;
}

export interface CanaryOutcome {
  result: 'promoted' | 'rolled-back';
  reason: string;
  version: number;
  championVersion?: number;
}
