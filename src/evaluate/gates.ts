import { METRIC_NAMES, type Gates, type MetricName } from '../spec/schema.js';
import { checkBound } from './bound-check.js';
import { compareWithChampion } from './champion.js';
import type { FairnessReport } from './fairness.js';
import { evaluateFairnessGate } from './fairness-gates.js';
import type { GateResult } from './gate-result.js';

export interface GateInput {
  metrics: Record<MetricName, number>;
  /** For the attribute named in `gates.fairness`; absent when the column could not be read. */
  fairness?: FairnessReport;
  /** The current champion scored on the same hold-out; absent when there is none. */
  championMetrics?: Record<MetricName, number>;
}

const UNDEFINED_BECAUSE: Partial<Record<MetricName, string>> = {
  roc_auc: 'the hold-out has only one class',
};

/**
 * Every configured gate, in a stable order: metrics (`metric:<name>`, one per metric with a min
 * and/or max), fairness (`fairness:<name>`), champion (`champion:<metric>`). A metric bound with
 * neither min nor max is not a gate. Missing or NaN values fail, saying why.
 */
export function evaluateGates(gates: Gates, input: GateInput): GateResult[] {
  const results: GateResult[] = [];
  for (const metric of METRIC_NAMES) {
    const bound = gates[metric];
    if (bound === undefined || (bound.min === undefined && bound.max === undefined)) continue;
    const value = input.metrics[metric] as number | undefined;
    const undefinedBecause = UNDEFINED_BECAUSE[metric];
    results.push(checkBound({ gate: `metric:${metric}`, measure: metric, value, bound, ...(undefinedBecause !== undefined && { undefinedBecause }) }));
  }
  if (gates.fairness !== undefined) results.push(...evaluateFairnessGate(gates.fairness, input.fairness));
  if (gates.champion !== undefined) results.push(compareWithChampion(gates.champion, input.metrics, input.championMetrics));
  return results;
}

/** The rejection reasons, one line per failed gate: `metric:roc_auc: roc_auc 0.812 < min 0.85`. */
export function summariseGateFailures(results: readonly GateResult[]): string[] {
  return results.filter((result) => !result.passed).map((result) => `${result.gate}: ${result.detail}`);
}
