import type { GateResult } from './gate-result.js';
import { formatNumber, formatPair } from './format-number.js';

export interface Bound {
  min?: number;
  max?: number;
}

export interface BoundCheck {
  /** e.g. `metric:roc_auc`. */
  gate: string;
  /** How the detail names the measure, e.g. `roc_auc`. */
  measure: string;
  /** undefined: not measured; NaN: measured but undefined. */
  value: number | undefined;
  bound: Bound;
  /** Why the value can be NaN, said when it is, e.g. `the hold-out has only one class`. */
  undefinedBecause?: string;
  /** Appended to the detail in parentheses, e.g. which groups are furthest apart. */
  context?: string;
}

/** One gate: the value must be >= min and <= max (each when set); a missing or NaN value fails. */
export function checkBound({ gate, measure, value, bound, undefinedBecause, context }: BoundCheck): GateResult {
  const { min, max } = bound;
  const result = { gate, ...(min !== undefined && { min }), ...(max !== undefined && { max }) };
  if (value === undefined || Number.isNaN(value)) {
    const why = value === undefined ? 'was not measured' : `is undefined (${undefinedBecause ?? 'it could not be computed'})`;
    return { ...result, value: null, passed: false, detail: `${measure} ${why}; needs ${describeBound(bound)}` };
  }
  const detail = (text: string) => (context ? `${text} (${context})` : text);
  if (min !== undefined && value < min) {
    const [shown, limit] = formatPair(value, min);
    return { ...result, value, passed: false, detail: detail(`${measure} ${shown} < min ${limit}`) };
  }
  if (max !== undefined && value > max) {
    const [shown, limit] = formatPair(value, max);
    return { ...result, value, passed: false, detail: detail(`${measure} ${shown} > max ${limit}`) };
  }
  return { ...result, value, passed: true, detail: detail(`${measure} ${formatNumber(value)} ${describePassedBound(bound)}`) };
}

function describeBound({ min, max }: Bound): string {
  if (min !== undefined && max !== undefined) return `a value within [${formatNumber(min)}, ${formatNumber(max)}]`;
  if (min !== undefined) return `>= ${formatNumber(min)}`;
  if (max !== undefined) return `<= ${formatNumber(max)}`;
  return 'no bound';
}

function describePassedBound({ min, max }: Bound): string {
  if (min !== undefined && max !== undefined) return `within [${formatNumber(min)}, ${formatNumber(max)}]`;
  if (min !== undefined) return `>= min ${formatNumber(min)}`;
  if (max !== undefined) return `<= max ${formatNumber(max)}`;
  return '(no bound)';
}
