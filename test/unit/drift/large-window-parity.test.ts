/**
 * Parity with Evidently on windows larger than the profile's sampleSize, through the drift
 * monitor's real reader (the gateway's Parquet partitions). The data is generated from the row
 * number with arithmetic every IEEE implementation rounds alike (scripts/fixtures/
 * make_large_window_fixtures.py), so Evidently saw exactly these values.
 * - Read in full (the drift monitor's exact path, and `mlops drift compare`): Evidently's score to 1e-9.
 * - Sketched (the default profile): Evidently's score lies in the reported interval, and a column
 *   whose interval contains the threshold is read in full, so every verdict is Evidently's.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDuckDB } from '../../../src/data/duckdb-connection.js';
import type { Table } from '../../../src/data/table.js';
import { compareProfiles } from '../../../src/drift/compare.js';
import { compareResolvingUndecided, EVERY_VALUE } from '../../../src/drift/exact-fallback.js';
import { profileFromPredictionLog, profileFromTable } from '../../../src/drift/window-profile.js';

interface LargeCase {
  case: string;
  currentRows: number;
  scale: number;
  shift: number;
  evidently: { test: string; score: number; drifted: boolean };
}
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/drift-large/large_windows.json', import.meta.url), 'utf8')) as { referenceRows: number; cases: LargeCase[] };

const MODEL = 'large';
const DAY = Date.UTC(2026, 4, 1);
const context = { model: MODEL, version: 1, window: { from: '', to: '' }, generatedAt: '2026-05-02T00:00:00.000Z' };

/** The fixture's generator in SQL: BIGINT products are exact, every double operation rounds as numpy's. */
const uSql = (i: string) => `(((${i} * 2654435761) % 4294967296)::DOUBLE / 4294967296.0)`;
const amountSql = (i: string) => `(${uSql(i)} * ${uSql(i)} * ${uSql(i)} * 1000.0 + ((${i} * 40503 + 12345) % 65536)::DOUBLE / 65536.0)`;

function amounts(start: number, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, k) => {
    const i = start + k;
    const u = ((i * 2654435761) % 4294967296) / 4294967296;
    const v = ((i * 40503 + 12345) % 65536) / 65536;
    return u * u * u * 1000 + v;
  });
}

const tableOf = (values: Float64Array): Table => ({ rowCount: values.length, columns: [{ name: 'amount', kind: 'numeric', sourceType: 'DOUBLE', values }] });

let dataDir: string;
const referenceValues = amounts(0, fixture.referenceRows);

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-drift-large-'));
  await withDuckDB(async (connection) => {
    for (const c of fixture.cases) {
      // Three hourly partitions per case, rows in an order unrelated to their values.
      for (let hour = 0; hour < 3; hour++) {
        const partition = path.join(dataDir, c.case, 'predictions', `model=${MODEL}`, 'date=2026-05-01', `hour=${hour}`);
        await mkdir(partition, { recursive: true });
        await connection.run(
          `COPY (SELECT epoch_ms(${DAY} + ${hour} * 3600000 + (i % 3600000)) AS ts, ${amountSql('i')} * ${c.scale.toFixed(2)} + ${c.shift.toFixed(2)} AS f_amount
                 FROM range(${fixture.referenceRows}, ${fixture.referenceRows + c.currentRows}) t(i) WHERE i % 3 = ${hour} ORDER BY hash(i))
           TO '${path.join(partition, 'part-0.parquet')}' (FORMAT parquet)`,
        );
      }
    }
  });
}, 120_000);

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('drift on windows larger than the profile keeps, against Evidently 0.7 (test/fixtures/drift-large)', () => {
  it('generates the same values as the fixture script (spot check of the SQL and JS generators)', async () => {
    const fromSql = await withDuckDB(async (connection) => (await connection.runAndReadAll(`SELECT ${amountSql('i')} FROM range(123456, 123466) t(i)`)).getRowsJS().map((row) => Number(row[0])));
    expect(fromSql).toEqual(Array.from(amounts(123_456, 10)));
  });

  for (const c of fixture.cases) {
    it(`${c.case}: read in full, gives Evidently's normalised Wasserstein to 1e-9 and its verdict`, async () => {
      const reference = profileFromTable(tableOf(referenceValues), ['amount'], { sampleSize: EVERY_VALUE });
      const current = await profileFromPredictionLog(path.join(dataDir, c.case), MODEL, DAY, DAY + 86_400_000, ['amount'], { sampleSize: EVERY_VALUE });
      expect(current.rows).toBe(c.currentRows);
      const column = compareProfiles(reference, current, context).columns[0]!;
      expect(column.test).toBe('wasserstein');
      expect(column.approximate).toBeUndefined();
      expect(Math.abs(column.statistic! - c.evidently.score)).toBeLessThanOrEqual(1e-9 * Math.max(1, c.evidently.score));
      expect(column.drifted).toBe(c.evidently.drifted);
    }, 60_000);

    it(`${c.case}: sketched, holds Evidently's score in its interval, and reads in full only when the interval cannot decide`, async () => {
      const reference = profileFromTable(tableOf(referenceValues), ['amount']);
      const current = await profileFromPredictionLog(path.join(dataDir, c.case), MODEL, DAY, DAY + 86_400_000, ['amount']);
      const sketched = compareProfiles(reference, current, context).columns[0]!;
      expect(sketched.approximate).toBe(true);
      const [low, high] = sketched.interval!;
      expect(low).toBeLessThanOrEqual(c.evidently.score);
      expect(high).toBeGreaterThanOrEqual(c.evidently.score);
      let readInFull = false;
      const report = await compareResolvingUndecided(reference, current, context, {
        reference: async () => ((readInFull = true), profileFromTable(tableOf(referenceValues), ['amount'], { sampleSize: EVERY_VALUE })),
        current: (features) => profileFromPredictionLog(path.join(dataDir, c.case), MODEL, DAY, DAY + 86_400_000, features, { sampleSize: EVERY_VALUE }),
      });
      expect(readInFull).toBe(sketched.undecided === true);
      expect(report.columns[0]!.drifted).toBe(c.evidently.drifted);
      if (readInFull) expect(Math.abs(report.columns[0]!.statistic! - c.evidently.score)).toBeLessThanOrEqual(1e-9);
    }, 60_000);
  }
});
