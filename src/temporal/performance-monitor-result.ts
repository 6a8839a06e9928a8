/** What `performanceMonitor` returns; shared by the workflow and its clients (the CLI). Pure types. */
import type { PerformanceWindowSummary } from '../performance/performance-report.js';

export interface PerformanceMonitorResult {
  model: string;
  asOf: string;
  outcome: 'degraded' | 'ok' | 'incomplete' | 'no-predictions';
  reportPath: string;
  windows: PerformanceWindowSummary[];
  /** Dedup keys of the alerts this run raised (findings alerted by an earlier run are not repeated). */
  alerted: string[];
  retrainWorkflowId?: string;
  retrainSkipped?: string;
}
