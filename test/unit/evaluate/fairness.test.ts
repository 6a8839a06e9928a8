import { describe, expect, it } from 'vitest';
import { fairnessMetrics, FAIRNESS_METRIC_NAMES } from '../../../src/evaluate/fairness.js';
import { MISSING_GROUP_NAME, sensitiveGroupsFromNumbers } from '../../../src/evaluate/sensitive-groups.js';
import { InvalidEvaluationInput } from '../../../src/evaluate/evaluation-input.js';
import { expectMatchesReference, loadEvaluateFixtures } from './evaluate-fixtures.js';

const withGroups = loadEvaluateFixtures().filter((fixture) => fixture.groups !== undefined);

describe('fairnessMetrics against Fairlearn', () => {
  it('has reference cases with groups, including missing values and a group without positives', () => {
    expect(withGroups.map((fixture) => fixture.case)).toEqual(expect.arrayContaining(['balanced', 'fairness_groups', 'single_class']));
  });

  for (const fixture of withGroups) {
    it(`matches the per-group rates and the disparities: ${fixture.case}`, () => {
      const { codes, dictionary, attribute } = fixture.groups!;
      const report = fairnessMetrics(fixture.labels, fixture.scores, { codes: Int32Array.from(codes), names: dictionary, attribute }, fixture.threshold);
      const expected = fixture.expected.fairness!;
      expect(report.groups.map((group) => group.name).sort()).toEqual(Object.keys(expected.groups).sort());
      for (const group of report.groups) {
        const reference = expected.groups[group.name]!;
        expect(group.count, `${fixture.case} ${group.name} count`).toBe(reference.count);
        expectMatchesReference(group.selectionRate, reference.selectionRate, `${fixture.case} ${group.name} selection rate`);
        expectMatchesReference(group.tpr, reference.tpr, `${fixture.case} ${group.name} TPR`);
        expectMatchesReference(group.fpr, reference.fpr, `${fixture.case} ${group.name} FPR`);
      }
      for (const metric of FAIRNESS_METRIC_NAMES) {
        expectMatchesReference(report[metric], expected[metric], `${fixture.case} ${metric}`);
      }
      expect(report.attribute).toBe(attribute);
    });
  }
});

describe('edge cases', () => {
  // Groups: a = [1, 0] predicted [1, 0]; b = [0, 0] predicted [1, 0] (no positives); -1 = [1] predicted [1].
  const labels = [1, 0, 0, 0, 1];
  const scores = [0.9, 0.1, 0.8, 0.2, 0.7];
  const groups = { codes: [0, 0, 1, 1, -1], names: ['a', 'b'] };

  it('puts rows with code -1 into the "(missing)" group, listed last', () => {
    const report = fairnessMetrics(labels, scores, groups, 0.5);
    expect(report.groups.map((group) => [group.name, group.code, group.count])).toEqual([
      ['a', 0, 2],
      ['b', 1, 2],
      [MISSING_GROUP_NAME, -1, 1],
    ]);
  });

  it("gives a group without positives TPR 0 (Fairlearn's 0/0 convention), widening the equalized-odds gap", () => {
    const report = fairnessMetrics(labels, scores, groups, 0.5);
    const b = report.groups.find((group) => group.name === 'b')!;
    expect(b).toMatchObject({ positives: 0, negatives: 2, tpr: 0, fpr: 0.5 });
    expect(report.equalized_odds_difference).toBe(1);
  });

  it('leaves out groups with no rows', () => {
    const report = fairnessMetrics([1, 0], [0.9, 0.1], { codes: [0, 0], names: ['a', 'never-seen'] }, 0.5);
    expect(report.groups.map((group) => group.name)).toEqual(['a']);
    expect(report.demographic_parity_difference).toBe(0);
    expect(report.demographic_parity_ratio).toBe(1);
  });

  it('makes the demographic parity ratio NaN when no group selects anyone', () => {
    const report = fairnessMetrics([1, 0], [0.1, 0.2], { codes: [0, 1], names: ['a', 'b'] }, 0.5);
    expect(report.demographic_parity_difference).toBe(0);
    expect(report.demographic_parity_ratio).toBeNaN();
  });

  it('rejects codes outside the names and a length mismatch', () => {
    expect(() => fairnessMetrics([1, 0], [0.9, 0.1], { codes: [0, 2], names: ['a', 'b'], attribute: 'region' }, 0.5)).toThrow(
      /sensitive attribute 'region' has code 2 at row 1; expected -1 \(missing\) to 1/,
    );
    expect(() => fairnessMetrics([1, 0], [0.9, 0.1], { codes: [0], names: ['a'] }, 0.5)).toThrow(InvalidEvaluationInput);
  });
});

describe('sensitiveGroupsFromNumbers', () => {
  it('names groups by value in ascending order and codes NaN as missing', () => {
    const groups = sensitiveGroupsFromNumbers(Float64Array.from([3, 1, Number.NaN, 3, 2.5]), 'age_band');
    expect(groups.names).toEqual(['1', '2.5', '3']);
    expect(Array.from(groups.codes)).toEqual([2, 0, -1, 2, 1]);
    expect(groups.attribute).toBe('age_band');
  });
});
