import { describe, expect, it } from 'vitest';
import { estimatePerformance, fitCbpe } from '../../../src/performance/cbpe.js';
import { detectConceptDrift } from '../../../src/performance/concept-drift.js';
import { chunkRows, loadCbpeFixture } from './cbpe-fixtures.js';

const options = { metrics: ['recall', 'roc_auc'] as const, tolerance: 0.02, minSupport: 20 };

function analysisWindows(name: 'calibrated' | 'miscalibrated' | 'concept-shift') {
  const fixture = loadCbpeFixture(name);
  const model = fitCbpe(fixture.reference.labels, fixture.reference.scores, fixture.threshold);
  const chunks = fixture.nannyml.chunks.filter((chunk) => chunk.period === 'analysis');
  return { model, chunks: chunks.map((chunk) => ({ chunk, ...chunkRows(fixture, chunk) })) };
}

describe('concept drift: realised performance outside the CBPE band on the same rows', () => {
  it('is found where the labels stopped following the scores, and the scores did not move', () => {
    const { model, chunks } = analysisWindows('concept-shift');
    const findings = chunks.map(({ scores, labels }) => detectConceptDrift(model, { scores, labels: labels as Array<0 | 1>, complete: true }, options));
    // The generator changes the label relationship from the third chunk on.
    expect(findings.map((finding) => finding.detected)).toEqual([false, false, true, true]);
    expect(findings[2]!.checks.find((check) => check.metric === 'roc_auc')).toMatchObject({ finding: 'concept_drift', direction: 'worse' });
    expect(findings[3]!.checks.map((check) => check.finding)).toEqual(['concept_drift', 'concept_drift']);
    expect(findings[3]!.kind).toBe('concept_drift');
  });

  it('agrees with NannyML: drift exactly where its realised value leaves its band widened by the tolerance', () => {
    for (const name of ['calibrated', 'miscalibrated', 'concept-shift'] as const) {
      const { model, chunks } = analysisWindows(name);
      for (const { chunk, scores, labels } of chunks) {
        const finding = detectConceptDrift(model, { scores, labels: labels as Array<0 | 1>, complete: true }, options);
        for (const check of finding.checks) {
          const { realised, lower, upper } = chunk.estimated[check.metric];
          const outside = realised! < lower! - options.tolerance || realised! > upper! + options.tolerance;
          expect(check.finding, `${name} rows ${chunk.start}-${chunk.end} ${check.metric}`).toBe(outside ? 'concept_drift' : 'none');
        }
      }
    }
  });

  it('is not found where only the inputs shifted (covariate shift: CBPE follows it)', () => {
    for (const name of ['calibrated', 'miscalibrated'] as const) {
      const { model, chunks } = analysisWindows(name);
      for (const { scores, labels } of chunks) expect(detectConceptDrift(model, { scores, labels: labels as Array<0 | 1>, complete: true }, options).detected).toBe(false);
    }
  });

  it('compares on the labelled rows only, so partial coverage cannot open a gap', () => {
    const { model, chunks } = analysisWindows('concept-shift');
    const { scores, labels } = chunks[3]!;
    const partial = labels.map((label, row) => (row % 3 === 0 ? null : (label as 0 | 1)));
    const finding = detectConceptDrift(model, { scores, labels: partial, complete: true }, options);
    const labelledScores = scores.filter((_, row) => partial[row] !== null);
    expect(finding.rows).toBe(labelledScores.length);
    expect(finding.checks[1]!.estimated).toEqual(estimatePerformance(model, labelledScores).metrics.roc_auc);
  });

  it('says nothing while the window is incomplete, or when a metric rests on too few rows', () => {
    const { model, chunks } = analysisWindows('concept-shift');
    const { scores, labels } = chunks[3]!;
    const incomplete = detectConceptDrift(model, { scores, labels: labels as Array<0 | 1>, complete: false, incompleteBecause: '12 labels < 200 needed' }, options);
    expect(incomplete.detected).toBe(false);
    expect(incomplete.checks.map((check) => check.detail)).toEqual(['recall not compared: labels incomplete (12 labels < 200 needed)', 'roc_auc not compared: labels incomplete (12 labels < 200 needed)']);
    const thin = detectConceptDrift(model, { scores, labels: labels as Array<0 | 1>, complete: true }, { ...options, minSupport: 10_000 });
    expect(thin.checks.every((check) => check.finding === 'incomplete')).toBe(true);
  });
});
