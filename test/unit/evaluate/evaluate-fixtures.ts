/** Reads the scikit-learn / Fairlearn reference cases written by scripts/fixtures/make_evaluate_fixtures.py. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const FIXTURE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/evaluate');

/** null stands for NaN (JSON has none). */
type Expected = number | null;

export interface EvaluateFixture {
  case: string;
  versions: Record<string, string>;
  threshold: number;
  labels: number[];
  scores: number[];
  groups?: { attribute: string; codes: number[]; dictionary: string[] };
  expected: {
    metrics: Record<'accuracy' | 'precision' | 'recall' | 'f1' | 'roc_auc' | 'log_loss', Expected>;
    confusion: { tp: number; fp: number; tn: number; fn: number };
    fairness?: {
      groups: Record<string, { count: number; selectionRate: Expected; tpr: Expected; fpr: Expected }>;
      demographic_parity_difference: Expected;
      demographic_parity_ratio: Expected;
      equalized_odds_difference: Expected;
    };
  };
}

export function loadEvaluateFixtures(): EvaluateFixture[] {
  return readdirSync(FIXTURE_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(path.join(FIXTURE_DIR, file), 'utf8')) as EvaluateFixture);
}

/** Equal to the reference within 1e-9 absolute; a null reference means the value must be NaN. */
export function expectMatchesReference(actual: number | undefined, expected: Expected, what: string): void {
  if (expected === null) {
    expect(actual, `${what} should be NaN`).toBeNaN();
    return;
  }
  expect(actual, what).toBeTypeOf('number');
  const difference = Math.abs(actual! - expected);
  expect(difference, `${what}: got ${actual}, reference ${expected}`).toBeLessThanOrEqual(1e-9);
}
