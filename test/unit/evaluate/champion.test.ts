import { describe, expect, it } from 'vitest';
import { compareWithChampion } from '../../../src/evaluate/champion.js';
import type { MetricName } from '../../../src/spec/schema.js';

const metrics = (overrides: Partial<Record<MetricName, number>>): Record<MetricName, number> => ({
  accuracy: 0.9, precision: 0.8, recall: 0.7, f1: 0.75, roc_auc: 0.86, log_loss: 0.3, ...overrides,
});

describe('compareWithChampion', () => {
  it('passes with "no champion yet" when there is no champion', () => {
    expect(compareWithChampion({ metric: 'roc_auc', maxRegression: 0 }, metrics({ roc_auc: 0.5 }), undefined)).toEqual({
      gate: 'champion:roc_auc', value: 0.5, passed: true, detail: 'no champion yet',
    });
  });

  it.each([
    // higher is better (roc_auc): the challenger may fall below the champion by maxRegression
    { challenger: 0.87, champion: 0.86, maxRegression: 0, passed: true, detail: 'roc_auc 0.87 vs champion 0.86 (better by 0.01)' },
    { challenger: 0.86, champion: 0.86, maxRegression: 0, passed: true, detail: 'roc_auc 0.86 vs champion 0.86 (equal)' },
    { challenger: 0.855, champion: 0.86, maxRegression: 0.01, passed: true, detail: 'roc_auc 0.855 vs champion 0.86 (worse by 0.005, allowed 0.01)' },
    { challenger: 0.85, champion: 0.86, maxRegression: 0.01, passed: true, detail: 'roc_auc 0.85 vs champion 0.86 (worse by 0.01, allowed 0.01)' },
    { challenger: 0.84, champion: 0.86, maxRegression: 0.01, passed: false, detail: 'roc_auc 0.84 vs champion 0.86: worse by 0.02, more than the allowed 0.01' },
    { challenger: 0.8599, champion: 0.86, maxRegression: 0, passed: false, detail: 'roc_auc 0.8599 vs champion 0.86: worse by 0.0001, more than the allowed 0' },
  ])('roc_auc $challenger vs champion $champion, maxRegression $maxRegression → passed $passed', ({ challenger, champion, maxRegression, passed, detail }) => {
    const result = compareWithChampion({ metric: 'roc_auc', maxRegression }, metrics({ roc_auc: challenger }), metrics({ roc_auc: champion }));
    expect(result).toMatchObject({ gate: 'champion:roc_auc', value: challenger, passed, detail });
    expect(result.min).toBeCloseTo(champion - maxRegression, 12);
    expect(result.max).toBeUndefined();
  });

  it.each([
    // lower is better (log_loss): the challenger may rise above the champion by maxRegression
    { challenger: 0.25, champion: 0.3, maxRegression: 0, passed: true, detail: 'log_loss 0.25 vs champion 0.3 (better by 0.05)' },
    { challenger: 0.31, champion: 0.3, maxRegression: 0.02, passed: true, detail: 'log_loss 0.31 vs champion 0.3 (worse by 0.01, allowed 0.02)' },
    { challenger: 0.35, champion: 0.3, maxRegression: 0.02, passed: false, detail: 'log_loss 0.35 vs champion 0.3: worse by 0.05, more than the allowed 0.02' },
  ])('log_loss $challenger vs champion $champion, maxRegression $maxRegression → passed $passed', ({ challenger, champion, maxRegression, passed, detail }) => {
    const result = compareWithChampion({ metric: 'log_loss', maxRegression }, metrics({ log_loss: challenger }), metrics({ log_loss: champion }));
    expect(result).toMatchObject({ gate: 'champion:log_loss', value: challenger, passed, detail });
    expect(result.max).toBeCloseTo(champion + maxRegression, 12);
    expect(result.min).toBeUndefined();
  });

  it('fails when the challenger value is NaN', () => {
    const result = compareWithChampion({ metric: 'roc_auc', maxRegression: 0.1 }, metrics({ roc_auc: Number.NaN }), metrics({ roc_auc: 0.8 }));
    expect(result).toMatchObject({ value: null, passed: false, detail: 'roc_auc of the challenger is undefined; cannot compare with champion 0.8' });
  });

  it('fails when the champion has no value for the metric', () => {
    const result = compareWithChampion({ metric: 'roc_auc', maxRegression: 0 }, metrics({ roc_auc: 0.9 }), metrics({ roc_auc: Number.NaN }));
    expect(result).toMatchObject({ value: 0.9, passed: false, detail: 'the champion has no roc_auc on this hold-out to compare with' });
  });
});
