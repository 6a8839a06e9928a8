/** The outcome of one evaluation gate, recorded in the registry whether it passed or not. */
export interface GateResult {
  /** `metric:roc_auc`, `fairness:demographic_parity_difference`, `champion:roc_auc`. */
  gate: string;
  /** The measured value; null when it could not be computed (then the gate fails). */
  value: number | null;
  min?: number;
  max?: number;
  passed: boolean;
  /** One line a person reads in the run's output and the registry, e.g. why it failed. */
  detail: string;
}
