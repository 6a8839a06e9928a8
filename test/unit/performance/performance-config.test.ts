import { describe, expect, it } from 'vitest';
import { PerformanceMonitorSection } from '../../../src/performance/performance-config.js';

describe('monitor.performance', () => {
  it('has defaults for everything', () => {
    expect(PerformanceMonitorSection.parse({})).toEqual({
      schedule: '0 3 * * *',
      window: '24h',
      lookback: '30d',
      metrics: { recall: { maxDrop: 0.05 } },
      minLabels: 200,
      minLabelCoverage: 0.8,
      minSupport: 20,
      estimate: true,
      conceptDrift: { metrics: ['recall', 'roc_auc'], tolerance: 0.02 },
      fairness: { minGroupRows: 30 },
      onDegradation: ['alert'],
    });
  });

  it('names the schedule field when its cron is not 5 fields', () => {
    const result = PerformanceMonitorSection.safeParse({ schedule: 'daily' });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]).toMatchObject({ path: ['schedule'], message: 'expected a cron expression of 5 fields such as "0 3 * * *", got "daily"' });
  });

  it('takes the shape of the issue: { window, metrics: { recall: { maxDrop } }, minLabels }', () => {
    const section = PerformanceMonitorSection.parse({ window: '6h', metrics: { recall: { maxDrop: 0.05 }, log_loss: { maxDrop: 0.1 } }, minLabels: 50 });
    expect(section).toMatchObject({ window: '6h', metrics: { recall: { maxDrop: 0.05 }, log_loss: { maxDrop: 0.1 } }, minLabels: 50 });
  });

  it.each([
    [{ metrics: { recal: { maxDrop: 0.05 } } }, 'metrics'],
    [{ metrics: { recall: { maxDrop: 1.5 } } }, 'expected a drop between 0 and 1, got 1.5'],
    [{ metrics: { recall: { maxdrop: 0.05 } } }, 'maxdrop'],
    [{ minLabels: 0 }, 'expected a number of labels of at least 1'],
    [{ minLabelCoverage: -0.1 }, 'expected a share of labelled predictions between 0 and 1'],
    [{ window: '1 day' }, 'expected a duration'],
    [{ window: '2d', lookback: '1d' }, 'expected a lookback of at least one window (2d), got "1d"'],
    [{ conceptDrift: { metrics: ['log_loss'] } }, 'conceptDrift'],
    [{ onDegradation: ['page'] }, 'onDegradation'],
    [{ minLabel: 10 }, 'minLabel'],
  ])('refuses %j with a message that says where', (input, fragment) => {
    const result = PerformanceMonitorSection.safeParse(input);
    expect(result.success).toBe(false);
    const text = result.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n');
    expect(text).toContain(fragment);
  });
});
