/**
 * The metrics port (after Flagger's provider interface): fetch numbers, decide nothing.
 * The canary analysis in src/canary/ turns these numbers into verdicts.
 */
import type { VersionStats } from '../serving/gateway-contract.js';

export type VersionMetrics = VersionStats;

export interface VersionMetricsOptions {
  /** Also count the requests slower than this (VersionStats.slowerThan), where the backend can. */
  slowerThanMs?: number;
  /**
   * Business KPIs to report (VersionStats.kpis). The gateway's stats answer every KPI it saw;
   * Prometheus is asked for these names only.
   */
  kpis?: readonly string[];
}

export interface MetricsSource {
  /** Numbers for one version of a model over the trailing window. Throws MetricsUnavailableError. */
  versionMetrics(model: string, version: number, windowSeconds: number, options?: VersionMetricsOptions): Promise<VersionMetrics>;
  /** True when the backend answers at all. */
  isOnline(): Promise<boolean>;
}

/** The backend did not answer, or answered without data where data was expected. */
export class MetricsUnavailableError extends Error {
  override readonly name = 'MetricsUnavailableError';
}
