/** Reads the scipy / mpmath reference numbers written by scripts/fixtures/make_canary_fixtures.py. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/canary');

/** Every reference value twice: scipy's float64 answer and the exact one (mpmath, 50 digits). */
interface Reference {
  scipy: number;
  exact: number;
}

export interface SpecialFunctionFixtures {
  versions: Record<string, string>;
  gammaln: Array<{ x: number } & Reference>;
  betaln: Array<{ a: number; b: number } & Reference>;
}

export interface TrafficScenario extends Reference {
  name: string;
  canary: { requests: number; errors: number };
  champion: { requests: number; errors: number };
  rho: number;
  a: number;
  b: number;
  bayesFactor: number;
}

export interface BayesFactorFixtures {
  versions: Record<string, string>;
  priorConcentration: number;
  /** Natural-log Bayes factors. */
  cases: Array<{ nc: number; ns: number; rho: number; a: number; b: number } & Reference>;
  scenarios: TrafficScenario[];
}

function load<T>(file: string): T {
  return JSON.parse(readFileSync(path.join(FIXTURE_DIR, file), 'utf8')) as T;
}

export const specialFunctions = load<SpecialFunctionFixtures>('special-functions.json');
export const bayesFactors = load<BayesFactorFixtures>('bayes-factor.json');

export function scenarioNamed(prefix: string): TrafficScenario {
  const found = bayesFactors.scenarios.find((scenario) => scenario.name.startsWith(prefix));
  if (!found) throw new Error(`no scenario starting with "${prefix}" in bayes-factor.json`);
  return found;
}

/** Relative difference, exact when the reference is 0. */
export function relativeError(actual: number, expected: number): number {
  return expected === 0 ? Math.abs(actual) : Math.abs(actual - expected) / Math.abs(expected);
}
