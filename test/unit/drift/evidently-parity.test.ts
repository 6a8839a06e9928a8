import { describe, expect, it } from 'vitest';
import { sturgesEdges } from '../../../src/drift/binned-statistics.js';
import { compareProfiles } from '../../../src/drift/compare.js';
import { isPValueTest } from '../../../src/drift/drift-options.js';
import type { ColumnDrift, DriftReport, DriftTest } from '../../../src/drift/drift-report.js';
import { mergeProfiles } from '../../../src/drift/merge-profiles.js';
import { profileFromTable } from '../../../src/drift/window-profile.js';
import { expectClose, loadDriftFixtures, tableOf, type DriftFixture } from './drift-fixtures.js';

const fixtures = loadDriftFixtures();
const context = { model: 'fixture', version: 1, window: { from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' } };

function reportOf(fixture: DriftFixture, options: object = {}): DriftReport {
  const features = Object.keys(fixture.kinds);
  const reference = profileFromTable(tableOf(fixture, 'reference'), features);
  const current = profileFromTable(tableOf(fixture, 'current'), features);
  return compareProfiles(reference, current, { ...context, ...fixture.options, ...options });
}

function columnOf(report: DriftReport, name: string): ColumnDrift {
  const column = report.columns.find((c) => c.column === name);
  expect(column, name).toBeDefined();
  return column!;
}

/** Evidently's drift_score: the p-value of a test, the value of a distance. */
function scoreOf(column: ColumnDrift): number | null {
  return isPValueTest(column.test) ? column.pValue : column.statistic;
}

describe('drift statistics against Evidently 0.7 and scipy (test/fixtures/drift)', () => {
  it('has the reference cases, made with the pinned versions', () => {
    expect(fixtures.map((f) => f.case)).toEqual(expect.arrayContaining([
      'small_reference', 'small_reference_large_current', 'large_reference', 'empty_columns', 'thresholds', 'ks_asymptotic', 'ks_equal_700',
    ]));
    for (const fixture of fixtures) expect(fixture.versions.evidently, fixture.case).toMatch(/^0\.7\./);
  });

  for (const fixture of fixtures) {
    describe(fixture.case, () => {
      const report = reportOf(fixture);

      it('picks Evidently\'s test and threshold and gives its score and verdict for every column', () => {
        for (const [name, expected] of Object.entries(fixture.expected.columns)) {
          const column = columnOf(report, name);
          const evidently = expected.evidently;
          if (evidently.error) {
            expect(column.drifted, `${name} is an error for that column only`).toBeNull();
            expect(column.error, name).toMatch(/no values in the (reference|current window) after dropping missing values/);
            expect(column.error!.includes('reference'), `${name}: same side as Evidently's "${evidently.error}"`).toBe(evidently.error.includes('reference dataset'));
            continue;
          }
          expect(column.error, name).toBeUndefined();
          expect(column.approximate, `${name}: every value is in the profile`).toBeUndefined();
          expect(column.test, name).toBe(evidently.test);
          expect(column.threshold, name).toBe(evidently.threshold);
          expectClose(scoreOf(column), evidently.score, `${fixture.case}.${name} ${column.test}`);
          expect(column.drifted, name).toBe(evidently.drifted);
        }
      });

      it('gives Evidently\'s score for every method forced on a column', () => {
        for (const [name, expected] of Object.entries(fixture.expected.columns)) {
          for (const [method, evidently] of Object.entries(expected.methods)) {
            const forced = reportOf(fixture, { columns: { [name]: { method } } });
            const column = columnOf(forced, name);
            expect(column.test).toBe(method as DriftTest);
            expectClose(scoreOf(column), evidently!.score, `${fixture.case}.${name} forced ${method}`);
            expect(column.drifted, `${name} ${method}`).toBe(evidently!.drifted);
          }
        }
      });

      it('gives scipy\'s KS statistic, chi-square statistic, z and Wasserstein distance', () => {
        for (const [name, expected] of Object.entries(fixture.expected.columns)) {
          const column = columnOf(report, name);
          if (column.error) continue;
          const { ks, chisquare, z, wasserstein, sturgesBins } = expected.scipy;
          if (sturgesBins !== undefined && column.kind === 'numeric') {
            const n = column.reference.count + column.current.count;
            const edges = sturgesEdges(Math.min(column.reference.min!, column.current.min!), Math.max(column.reference.max!, column.current.max!), n);
            expect(edges.length - 1, `${name}: numpy.histogram_bin_edges(bins='sturges')`).toBe(sturgesBins);
          }
          if (ks) {
            const forced = column.test === 'ks' ? column : columnOf(reportOf(fixture, { columns: { [name]: { method: 'ks' } } }), name);
            expectClose(forced.statistic, ks.statistic, `${name} KS D`);
            expectClose(forced.pValue, ks.pValue, `${name} KS p`);
          }
          if (chisquare && (column.test === 'chisquare')) expectClose(column.statistic, chisquare.statistic, `${name} chi²`);
          if (z && column.test === 'z') expectClose(column.statistic, z.statistic ?? 0, `${name} z`);
          if (wasserstein && column.test === 'wasserstein') {
            expectClose(column.statistic! * Math.max(wasserstein.referenceStd, 0.001), wasserstein.distance, `${name} Wasserstein`);
            expectClose(column.reference.std, wasserstein.referenceStd, `${name} reference std`);
          }
        }
      });

      it('gives Evidently\'s dataset drift share over the columns it can evaluate', () => {
        expect(report.evaluated).toBe(fixture.expected.dataset.evaluatedColumns);
        expect(report.drifted).toBe(fixture.expected.dataset.driftedColumns);
        expectClose(report.share, fixture.expected.dataset.share, 'share');
        expect(report.datasetDrift).toBe(fixture.expected.dataset.share >= 0.5);
      });

      it('gives the same report from a window merged from four slices as from the whole window', () => {
        const features = Object.keys(fixture.kinds);
        const rows = tableOf(fixture, 'current').rowCount;
        const cut = [0, Math.floor(rows / 4), Math.floor(rows / 2), Math.floor((3 * rows) / 4), rows];
        const slices = cut.slice(1).map((end, i) => profileFromTable(tableOf(fixture, 'current', cut[i]!, end), features));
        const merged = slices.reduce((a, b) => mergeProfiles(a, b));
        const reference = profileFromTable(tableOf(fixture, 'reference'), features);
        const fromMerged = compareProfiles(reference, merged, { ...context, ...fixture.options, generatedAt: report.generatedAt });
        for (const column of report.columns) {
          const other = columnOf(fromMerged, column.column);
          expect(other.test).toBe(column.test);
          expect(other.drifted).toBe(column.drifted);
          // Merged moments (Chan's update) differ from the two-pass ones in the last bits only.
          expectClose(scoreOf(other), scoreOf(column), `${column.column} merged`, 1e-12);
        }
      });
    });
  }
});
