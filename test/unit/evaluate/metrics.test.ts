import { describe, expect, it } from 'vitest';
import { classificationMetrics } from '../../../src/evaluate/metrics.js';
import { rocAuc } from '../../../src/evaluate/roc-auc.js';
import { logLoss } from '../../../src/evaluate/log-loss.js';
import { InvalidEvaluationInput } from '../../../src/evaluate/evaluation-input.js';
import { METRIC_NAMES } from '../../../src/spec/schema.js';
import { mulberry32 } from '../../../src/data/seeded-random.js';
import { expectMatchesReference, loadEvaluateFixtures } from './evaluate-fixtures.js';

const fixtures = loadEvaluateFixtures();

/** A seeded generator, so the random cases are the same on every run. */
const seededRandom = mulberry32;

describe('classificationMetrics against scikit-learn', () => {
  it('has the reference cases', () => {
    expect(fixtures.map((fixture) => fixture.case)).toEqual(
      expect.arrayContaining(['balanced', 'imbalanced', 'tied_scores', 'perfect_separation', 'confident_mistakes', 'no_predicted_positives', 'single_class', 'fairness_groups']),
    );
  });

  for (const fixture of fixtures) {
    it(`matches every metric and the confusion counts: ${fixture.case}`, () => {
      const result = classificationMetrics(fixture.labels, fixture.scores, fixture.threshold);
      for (const metric of METRIC_NAMES) {
        expectMatchesReference(result[metric], fixture.expected.metrics[metric], `${fixture.case} ${metric}`);
      }
      expect(result.confusion).toEqual(fixture.expected.confusion);
    });
  }

  it('accepts typed arrays as well as plain arrays', () => {
    const fixture = fixtures.find((f) => f.case === 'tied_scores')!;
    const fromTyped = classificationMetrics(Uint8Array.from(fixture.labels), Float64Array.from(fixture.scores), fixture.threshold);
    expect(fromTyped).toEqual(classificationMetrics(fixture.labels, fixture.scores, fixture.threshold));
  });
});

describe('prediction threshold', () => {
  it('counts a score equal to the threshold as a positive prediction', () => {
    const result = classificationMetrics([1, 0], [0.5, 0.5], 0.5);
    expect(result.confusion).toEqual({ tp: 1, fp: 1, tn: 0, fn: 0 });
  });
});

describe('zero_division (scikit-learn default: 0)', () => {
  it('returns precision 0 when nothing is predicted positive', () => {
    const result = classificationMetrics([1, 0, 1], [0.1, 0.2, 0.3], 0.5);
    expect(result.precision).toBe(0);
    expect(result.f1).toBe(0);
  });

  it('returns recall 0 and f1 0 when there are no positives and none predicted', () => {
    const result = classificationMetrics([0, 0], [0.1, 0.2], 0.5);
    expect(result.recall).toBe(0);
    expect(result.f1).toBe(0);
    expect(result.accuracy).toBe(1);
  });
});

describe('rocAuc', () => {
  it('is NaN when only one class is present', () => {
    expect(rocAuc([1, 1, 1], [0.2, 0.4, 0.9])).toBeNaN();
    expect(rocAuc([0, 0], [0.2, 0.4])).toBeNaN();
  });

  it('counts tied positive/negative pairs as one half', () => {
    expect(rocAuc([0, 1], [0.5, 0.5])).toBe(0.5);
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.4, 0.8])).toBe(0.875);
  });

  it('equals the pairwise definition on random tied scores', () => {
    const random = seededRandom(7);
    const labels = Array.from({ length: 300 }, () => (random() < 0.3 ? 1 : 0));
    const scores = labels.map(() => Math.round(random() * 10) / 10);
    let correct = 0;
    let pairs = 0;
    labels.forEach((label, i) => {
      if (label !== 1) return;
      labels.forEach((other, j) => {
        if (other !== 0) return;
        pairs++;
        correct += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
      });
    });
    expect(Math.abs(rocAuc(labels, scores) - correct / pairs)).toBeLessThan(1e-12);
  });
});

describe('logLoss clipping', () => {
  it('charges -log(eps) for a confident mistake instead of Infinity', () => {
    expect(logLoss([1], [0])).toBeCloseTo(-Math.log(Number.EPSILON), 12);
    expect(logLoss([0], [1])).toBeCloseTo(-Math.log(Number.EPSILON), 12);
    expect(logLoss([1, 0], [1, 0])).toBeCloseTo(-Math.log(1 - Number.EPSILON), 20);
  });
});

describe('input checks', () => {
  it.each([
    ['labels other than 0/1', [0, 2], [0.1, 0.2], /label at row 1 is 2/],
    ['a score above 1', [0, 1], [0.1, 1.2], /score at row 1 is 1.2/],
    ['a NaN score', [0, 1], [Number.NaN, 0.5], /score at row 0 is NaN/],
    ['lengths that differ', [0, 1], [0.1], /differ in length/],
    ['an empty hold-out', [], [], /no rows/],
  ])('rejects %s', (_what, labels, scores, message) => {
    expect(() => classificationMetrics(labels, scores, 0.5)).toThrow(InvalidEvaluationInput);
    expect(() => classificationMetrics(labels, scores, 0.5)).toThrow(message);
  });

  it('rejects a threshold outside [0, 1]', () => {
    expect(() => classificationMetrics([0, 1], [0.1, 0.9], 1.5)).toThrow(/threshold is 1.5/);
  });
});

describe('scale', () => {
  it('evaluates 1M rows in well under two seconds', () => {
    const n = 1_000_000;
    const labels = new Uint8Array(n);
    const scores = new Float64Array(n);
    const random = seededRandom(1);
    for (let row = 0; row < n; row++) {
      labels[row] = random() < 0.3 ? 1 : 0;
      scores[row] = Math.round((random() * 0.7 + labels[row]! * 0.3) * 1000) / 1000;
    }
    const started = performance.now();
    const result = classificationMetrics(labels, scores, 0.5);
    const elapsed = performance.now() - started;
    expect(result.roc_auc).toBeGreaterThan(0.5);
    expect(elapsed).toBeLessThan(2000);
  });
});
