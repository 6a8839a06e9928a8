/** Weights as the Kubernetes targets accept them, and how they compare with what was stored. */
import { InvalidWeightsError, TrafficMismatchError } from './k8s-errors.js';
import type { TrafficSplit } from './deploy-target.js';

/** Whole percents in 0..100 summing to 100 (Istio's rule; the other targets follow it too). */
export function checkWeights(weights: Record<number, number>): Map<number, number> {
  const checked = new Map<number, number>();
  for (const [key, weight] of Object.entries(weights)) {
    const version = Number(key);
    if (!Number.isInteger(version) || version < 1) throw new InvalidWeightsError(`"${key}" is not a version number`);
    if (!Number.isInteger(weight) || weight < 0 || weight > 100) throw new InvalidWeightsError(`v${version}: expected a whole percent between 0 and 100, got ${weight}`);
    checked.set(version, weight);
  }
  const total = [...checked.values()].reduce((a, b) => a + b, 0);
  if (total !== 100) throw new InvalidWeightsError(`weights must sum to 100, got ${total} (${JSON.stringify(weights)})`);
  return checked;
}

/** Fails unless the stored split gives every asked version its weight and everything else 0. */
export function expectStoredWeights(asked: Map<number, number>, stored: TrafficSplit | undefined, where: string): TrafficSplit {
  if (!stored) throw new TrafficMismatchError(`${where}: nothing stored after the write`);
  const versions = new Set([...asked.keys(), ...Object.keys(stored.weights).map(Number)]);
  const wrong = [...versions].filter((v) => (stored.weights[v] ?? 0) !== (asked.get(v) ?? 0));
  if (wrong.length) {
    const show = (v: number) => `v${v}: asked ${asked.get(v) ?? 0}, stored ${stored.weights[v] ?? 0}`;
    throw new TrafficMismatchError(`${where} does not hold the weights asked for (${wrong.map(show).join('; ')})`);
  }
  return stored;
}
