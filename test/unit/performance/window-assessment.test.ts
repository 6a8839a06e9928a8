import { describe, expect, it } from 'vitest';
import { fitCbpe } from '../../../src/performance/cbpe.js';
import { joinLabelsByWindow } from '../../../src/performance/label-join.js';
import { PerformanceMonitorSection } from '../../../src/performance/performance-config.js';
import { assessWindow } from '../../../src/performance/window-assessment.js';
import { loadCbpeFixture } from './cbpe-fixtures.js';

const HOUR = 3_600_000;

/**
 * The concept-shift fixture as four hours of traffic of v3: the label relationship moves from the
 * third hour on. Labels arrive an hour after their prediction, except in the fourth hour, where
 * only a quarter have arrived when the check runs.
 */
function scenario() {
  const fixture = loadCbpeFixture('concept-shift');
  const predictions = fixture.analysis.flatMap((chunk, hour) =>
    chunk.scores.map((score, row) => ({ requestId: `h${hour}-${row}`, timestamp: hour * HOUR + row * 1000, version: 3, score, features: { region: row % 2 === 0 ? 'north' : 'south' } })),
  );
  const labels = fixture.analysis.flatMap((chunk, hour) =>
    chunk.labels.flatMap((label, row) => (hour === 3 && row % 4 !== 0 ? [] : [{ requestId: `h${hour}-${row}`, timestamp: (hour + 1) * HOUR + row * 1000, label: label as 0 | 1 }])),
  );
  const config = PerformanceMonitorSection.parse({ window: '1h', metrics: { recall: { maxDrop: 0.05 }, roc_auc: { maxDrop: 0.05 } } });
  const reference = {
    baseline: { recall: fixture.nannyml.referenceRealised.recall, roc_auc: fixture.nannyml.referenceRealised.roc_auc },
    cbpe: fitCbpe(fixture.reference.labels, fixture.reference.scores, fixture.threshold),
  };
  const joined = joinLabelsByWindow(predictions, labels, { windowMs: HOUR, asOfMs: 6 * HOUR, minLabels: config.minLabels, minLabelCoverage: config.minLabelCoverage });
  return { fixture, config, reference, joined };
}

describe('assessing the windows of a version', () => {
  it('finds the drop where labels confirm it, calls it concept drift, and waits where labels are missing', () => {
    const { fixture, config, reference, joined } = scenario();
    const gate = { attribute: 'region', demographic_parity_difference: { max: 0.2 } };
    const assessments = joined.windows.map((window) => assessWindow(window, reference, config, { threshold: fixture.threshold, fairnessGate: gate }));
    expect(assessments.map((a) => [a.startMs / HOUR, a.complete, a.performance.verdict, a.conceptDrift!.detected])).toEqual([
      [0, true, 'ok', false],
      [1, true, 'ok', false],
      [2, true, 'degraded', true],
      [3, false, 'incomplete', false],
    ]);
    // The fourth hour's recall has fallen on the labels that arrived, but it is not called a drop yet.
    expect(assessments[3]!.realised.recall!).toBeLessThan(reference.baseline.recall! - 0.05);
    expect(assessments[3]!.incompleteBecause).toBe('125 labels < 200 needed; label coverage 25.0% < 80.0% needed');
    // The estimate needs no label: it is there for every window.
    expect(assessments.every((a) => a.estimated !== null && a.estimated.rows === 500)).toBe(true);
    expect(assessments[0]!.fairness).toMatchObject({ attribute: 'region', verdict: 'ok' });
  });

  it('is plain JSON, without the rows', () => {
    const { fixture, config, reference, joined } = scenario();
    const assessment = assessWindow(joined.windows[0]!, reference, config, { threshold: fixture.threshold });
    expect(JSON.parse(JSON.stringify(assessment))).toEqual(assessment);
    expect(Object.keys(assessment)).not.toContain('predictions');
    expect(assessment.fairness).toBeNull();
  });

  it('refuses a CBPE model fitted at another threshold', () => {
    const { config, reference, joined } = scenario();
    expect(() => assessWindow(joined.windows[0]!, reference, config, { threshold: 0.5 })).toThrow(/fitted at threshold 0.3, the check runs at 0.5/);
  });
});
