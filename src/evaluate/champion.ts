import { HIGHER_IS_BETTER, type ChampionGate, type MetricName } from '../spec/schema.js';
import type { GateResult } from './gate-result.js';
import { formatNumber, formatPair } from './format-number.js';

/** Absorbs float rounding in `champion - challenger` (0.86 - 0.85 is 0.010000000000000009). */
const ROUNDING_SLACK = 1e-12;

/**
 * The challenger may be worse than the champion on `gate.metric`, measured on the same hold-out,
 * by at most `gate.maxRegression` (absolute; for log_loss "worse" means higher). Without a
 * champion the gate passes. A value missing or NaN on either side fails: nothing to compare.
 */
export function compareWithChampion(
  gate: ChampionGate,
  challenger: Record<MetricName, number>,
  champion: Record<MetricName, number> | undefined,
): GateResult {
  const metric = gate.metric;
  const name = `champion:${metric}`;
  const challengerValue = challenger[metric] as number | undefined;
  const value = challengerValue === undefined || Number.isNaN(challengerValue) ? null : challengerValue;
  if (champion === undefined) return { gate: name, value, passed: true, detail: 'no champion yet' };

  const championValue = champion[metric] as number | undefined;
  if (championValue === undefined || Number.isNaN(championValue)) {
    return { gate: name, value, passed: false, detail: `the champion has no ${metric} on this hold-out to compare with` };
  }
  const higherIsBetter = HIGHER_IS_BETTER[metric];
  const bound = higherIsBetter ? { min: championValue - gate.maxRegression } : { max: championValue + gate.maxRegression };
  if (value === null) {
    return { gate: name, value, ...bound, passed: false, detail: `${metric} of the challenger is undefined; cannot compare with champion ${formatNumber(championValue)}` };
  }

  const regression = higherIsBetter ? championValue - value : value - championValue;
  const passed = regression <= gate.maxRegression + ROUNDING_SLACK;
  const [shownChallenger, shownChampion] = formatPair(value, championValue);
  const comparison = `${metric} ${shownChallenger} vs champion ${shownChampion}`;
  const allowed = formatNumber(gate.maxRegression);
  let detail: string;
  if (!passed) detail = `${comparison}: worse by ${formatNumber(regression)}, more than the allowed ${allowed}`;
  else if (regression > 0) detail = `${comparison} (worse by ${formatNumber(regression)}, allowed ${allowed})`;
  else if (regression < 0) detail = `${comparison} (better by ${formatNumber(-regression)})`;
  else detail = `${comparison} (equal)`;
  return { gate: name, value, ...bound, passed, detail };
}
