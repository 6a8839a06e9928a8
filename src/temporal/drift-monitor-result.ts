/** What a `driftMonitor` run returns (shared with the CLI that follows it). */
export interface DriftMonitorResult {
  model: string;
  window: { from: string; to: string };
  outcome: 'drift' | 'no-drift' | 'insufficient-data' | 'no-champion';
  share?: number;
  driftedColumns: string[];
  findings: number;
  reportPath?: string;
  /** With `storage`: the report in the object store (reportPath is on one worker's disk). */
  reportUrl?: string;
  /** The retraining run this window started (or found already started). */
  retrainWorkflowId?: string;
  /** Why no retraining started although asked: the data is unchanged since the run it names. */
  retrainSkipped?: string;
}
