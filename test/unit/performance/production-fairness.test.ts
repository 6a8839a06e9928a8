import { describe, expect, it } from 'vitest';
import { fairnessMetrics } from '../../../src/evaluate/fairness.js';
import { judgeProductionFairness, sensitiveGroupsFromLoggedValues, type ProductionFairnessInput } from '../../../src/performance/production-fairness.js';
import type { FairnessGate } from '../../../src/spec/schema.js';

const gate: FairnessGate = { attribute: 'region', demographic_parity_difference: { max: 0.1 }, demographic_parity_ratio: { min: 0.5 }, equalized_odds_difference: { max: 0.2 } };

/** `rows` predictions per region; `selected` of them scored above the threshold; labels follow the prediction unless `flipped`. */
function windowOf(spec: Record<string, { rows: number; selected: number; labelled?: number }>) {
  const scores: number[] = [];
  const labels: Array<0 | 1 | null> = [];
  const regions: string[] = [];
  for (const [region, { rows, selected, labelled = rows }] of Object.entries(spec)) {
    for (let i = 0; i < rows; i++) {
      const positive = i < selected;
      scores.push(positive ? 0.9 : 0.1);
      labels.push(i < labelled ? (positive ? 1 : 0) : null);
      regions.push(region);
    }
  }
  return { scores, labels, groups: sensitiveGroupsFromLoggedValues(regions, 'region') };
}

function judge(window: ReturnType<typeof windowOf>, overrides: Partial<ProductionFairnessInput> = {}) {
  return judgeProductionFairness({ ...window, threshold: 0.5, labelsComplete: true, gate, minGroupRows: 30, ...overrides });
}

describe('fairness of a production window, with the training gate', () => {
  it('is ok while both groups are selected alike', () => {
    const result = judge(windowOf({ north: { rows: 200, selected: 20 }, south: { rows: 200, selected: 22 } }));
    expect(result.verdict).toBe('ok');
    expect(result.checks.map((check) => [check.gate, check.verdict])).toEqual([
      ['fairness:demographic_parity_difference', 'ok'],
      ['fairness:demographic_parity_ratio', 'ok'],
      ['fairness:equalized_odds_difference', 'ok'],
    ]);
  });

  it("alerts when one group's selection rate changes, before any label arrives", () => {
    const window = windowOf({ north: { rows: 200, selected: 20, labelled: 0 }, south: { rows: 200, selected: 70, labelled: 0 } });
    const result = judge(window, { labelsComplete: false });
    expect(result.verdict).toBe('breached');
    const parity = result.checks.find((check) => check.metric === 'demographic_parity_difference')!;
    expect(parity).toMatchObject({ verdict: 'breached', value: expect.closeTo(0.25, 12), max: 0.1 });
    expect(parity.detail).toBe('demographic_parity_difference 0.25 > max 0.1 (region: selection rate 0.35 for south, 0.1 for north)');
    expect(result.checks.find((check) => check.metric === 'equalized_odds_difference')).toMatchObject({ verdict: 'incomplete', value: null });
  });

  it('measures the same numbers as the training evaluation (src/evaluate/fairness.ts)', () => {
    const window = windowOf({ north: { rows: 120, selected: 30 }, south: { rows: 80, selected: 12 } });
    const expected = fairnessMetrics(window.labels.map((l) => l ?? 0), window.scores, window.groups, 0.5);
    const result = judge(window);
    expect(result.checks.map((check) => check.value)).toEqual([expected.demographic_parity_difference, expected.demographic_parity_ratio, expected.equalized_odds_difference]);
  });

  it('leaves out, and names, groups too small to judge; with fewer than two left it is incomplete', () => {
    const result = judge(windowOf({ north: { rows: 200, selected: 20 }, south: { rows: 200, selected: 20 }, islands: { rows: 5, selected: 5 } }));
    expect(result.verdict).toBe('ok');
    expect(result.excludedGroups).toContainEqual({ name: 'islands', rows: 5, from: 'predictions' });
    const lonely = judge(windowOf({ north: { rows: 200, selected: 20 }, islands: { rows: 5, selected: 5 } }));
    expect(lonely.verdict).toBe('incomplete');
    expect(lonely.checks[0]!.detail).toBe("demographic_parity_difference not judged: fewer than two groups of 'region' have 30 predictions");
  });

  it('judges equalized odds on labelled rows only, once the labels are complete', () => {
    // North's labels disagree with its predictions for a third of its positives: a TPR gap.
    const window = windowOf({ north: { rows: 200, selected: 30 }, south: { rows: 200, selected: 30 } });
    for (let i = 0; i < 10; i++) window.labels[i] = 0;
    for (let i = 30; i < 60; i++) window.labels[i] = 1;
    const result = judge(window);
    expect(result.checks.find((check) => check.metric === 'equalized_odds_difference')!.verdict).toBe('breached');
    expect(result.oddsGroups.map((group) => group.name)).toEqual(['north', 'south']);
  });

  it('calls a window where nobody is selected incomplete for the parity ratio (0/0), not breached', () => {
    const result = judge(windowOf({ north: { rows: 100, selected: 0 }, south: { rows: 100, selected: 0 } }));
    expect(result.checks.find((check) => check.metric === 'demographic_parity_ratio')).toMatchObject({ verdict: 'incomplete', value: null });
  });
});

describe('groups from logged feature values', () => {
  it('names numbers as the training evaluation does and gives missing values their own group', () => {
    expect(sensitiveGroupsFromLoggedValues([3, 1, null, 3, Number.NaN], 'band')).toEqual({ codes: Int32Array.from([1, 0, -1, 1, -1]), names: ['1', '3'], attribute: 'band' });
  });

  it('groups text (and mixed values) by their text, sorted', () => {
    expect(sensitiveGroupsFromLoggedValues(['south', 'north', undefined, 'south', true], 'region')).toEqual({ codes: [1, 0, -1, 1, 2], names: ['north', 'south', 'true'], attribute: 'region' });
  });
});
