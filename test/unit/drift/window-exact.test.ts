/**
 * A day of traffic is far larger than the exact-read limit, and its rows are not in random order
 * (amounts rise in the evening; one replica's file is scanned first). The window's profile must
 * describe the whole window, exactly, and give the same numbers on every run and thread count.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDuckDB } from '../../../src/data/duckdb-connection.js';
import { readColumnsInto } from '../../../src/data/duckdb-typed-arrays.js';
import type { Table } from '../../../src/data/table.js';
import { compareProfiles } from '../../../src/drift/compare.js';
import { compareResolvingUndecided, EVERY_VALUE } from '../../../src/drift/exact-fallback.js';
import type { NumericColumnProfile } from '../../../src/drift/profile.js';
import { profileFromPredictionLog, profileFromTable } from '../../../src/drift/window-profile.js';

const MODEL = 'fraud-detector';
const DAY = Date.UTC(2026, 2, 1);
const context = { model: MODEL, version: 1, window: { from: '', to: '' }, generatedAt: '2026-03-02T00:00:00.000Z' };

let dataDir: string;

// Deterministic uniform in (0, 1) from a row number and a stream id (DuckDB's hash is stable).
const uniform = (i: string, stream: number) => `((hash(${i} * 7 + ${stream}) % 1000000007)::DOUBLE + 0.5) / 1000000007`;
const logNormal = (i: string) => `exp(1.3 * sqrt(-2 * ln(${uniform(i, 1)})) * cos(2 * pi() * ${uniform(i, 2)}))`;

/** Writes `select` (columns ts_ms BIGINT, amount DOUBLE) as the gateway's hourly Parquet partitions, `files` files per hour. */
async function writeLog(dir: string, select: string, files: number): Promise<void> {
  await withDuckDB(async (connection) => {
    await connection.run(`CREATE TABLE rows AS ${select}`);
    const hours = (await connection.runAndReadAll('SELECT DISTINCT ts_ms // 3600000 FROM rows ORDER BY 1')).getRowsJS().map((r) => Number(r[0]));
    for (const hourIndex of hours) {
      const hour = new Date(hourIndex * 3_600_000);
      const partition = path.join(dir, 'predictions', `model=${MODEL}`, `date=${hour.toISOString().slice(0, 10)}`, `hour=${hour.getUTCHours()}`);
      await mkdir(partition, { recursive: true });
      for (let f = 0; f < files; f++) {
        await connection.run(
          `COPY (SELECT epoch_ms(ts_ms) AS ts, amount AS f_amount FROM rows WHERE ts_ms // 3600000 = ${hourIndex} AND ts_ms % ${files} = ${f} ORDER BY ts_ms)
           TO '${path.join(partition, `part-${f}.parquet`)}' (FORMAT parquet)`,
        );
      }
    }
  });
}

async function readAmounts(select: string): Promise<Float64Array> {
  return withDuckDB(async (connection) => {
    const n = Number((await connection.runAndReadAll(`SELECT count(*) FROM (${select})`)).getRowsJS()[0]![0]);
    const values = new Float64Array(n);
    await readColumnsInto(connection, `SELECT amount FROM (${select})`, [values]);
    return values;
  });
}

const tableOf = (values: Float64Array): Table => ({ rowCount: values.length, columns: [{ name: 'amount', kind: 'numeric', sourceType: 'DOUBLE', values }] });

// 300k rows over six hours; the first 100k scanned (the morning) are much smaller than the rest.
const SHIFTING_DAY = `SELECT ${DAY} + i * 72 AS ts_ms, CASE WHEN i < 100000 THEN ${uniform('i', 3)} ELSE 5 + ${uniform('i', 3)} END AS amount FROM range(300000) t(i)`;
// 1M log-normal values split at random into a reference half and a current half; the current
// half is logged in order of its values (a day whose amounts rise hour by hour).
const POPULATION = `SELECT i, ${logNormal('i')} AS amount, ${uniform('i', 4)} < 0.5 AS in_reference FROM range(1000000) t(i)`;
const CURRENT_HALF = `SELECT ${DAY} + (row_number() OVER (ORDER BY amount, i)) * 40 AS ts_ms, amount FROM (${POPULATION}) WHERE NOT in_reference`;

let shiftingDir: string;
let aaDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-drift-exact-'));
  shiftingDir = path.join(dataDir, 'shifting');
  aaDir = path.join(dataDir, 'aa');
  await writeLog(shiftingDir, SHIFTING_DAY, 1);
  await writeLog(aaDir, CURRENT_HALF, 3);
}, 120_000);

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('drift over windows larger than the exact-read limit', () => {
  it('profiles a 300k-row window whose first 100k rows differ from the rest exactly as the whole window', async () => {
    const logged = await profileFromPredictionLog(shiftingDir, MODEL, DAY, DAY + 86_400_000, ['amount']);
    const exact = profileFromTable(tableOf(await readAmounts(SHIFTING_DAY)), ['amount']);
    const [a, e] = [logged.features[0] as NumericColumnProfile, exact.features[0] as NumericColumnProfile];
    expect(a.count).toBe(300_000);
    expect(a.quantiles).toHaveLength(e.quantiles.length);
    for (let i = 0; i < e.quantiles.length; i++) expect(a.quantiles[i]!, `quantile ${i}`).toBeCloseTo(e.quantiles[i]!, 9);
    expect(a.mean).toBeCloseTo(e.mean, 9);
  });

  it('gives identical numbers on every run with 1, 2 and 4 DuckDB threads', async () => {
    const runs: string[] = [];
    for (const threads of [1, 2, 4]) {
      for (let run = 0; run < 10; run++) {
        const profile = await profileFromPredictionLog(aaDir, MODEL, DAY, DAY + 86_400_000, ['amount'], {}, { threads });
        const { createdAt: _createdAt, ...numbers } = profile;
        const column = numbers.features[0] as NumericColumnProfile;
        runs.push(JSON.stringify({ ...numbers, features: [{ ...column, quantiles: [...column.quantiles], sample: [...column.sample] }] }));
      }
    }
    expect(new Set(runs).size).toBe(1);
  }, 300_000);

  it('never reports an A/A random split of 500k rows of a skewed column as drifted', async () => {
    const referenceValues = await readAmounts(`SELECT amount FROM (${POPULATION}) WHERE in_reference ORDER BY i`);
    const reference = profileFromTable(tableOf(referenceValues), ['amount']);
    const current = await profileFromPredictionLog(aaDir, MODEL, DAY, DAY + 86_400_000, ['amount']);
    expect(current.rows).toBeGreaterThan(490_000);
    const sketched = compareProfiles(reference, current, context).columns.find((c) => c.column === 'amount')!;
    expect(sketched.test).toBe('wasserstein');
    expect(sketched.drifted).toBe(false);
    expect(sketched.statistic).toBeLessThan(0.02);
    expect(sketched.approximate).toBe(true);
    // The drift monitor's path: a column whose bounds contain the threshold is read in full.
    const report = await compareResolvingUndecided(reference, current, context, {
      reference: async () => profileFromTable(tableOf(referenceValues), ['amount'], { sampleSize: EVERY_VALUE }),
      current: (features) => profileFromPredictionLog(aaDir, MODEL, DAY, DAY + 86_400_000, features, { sampleSize: EVERY_VALUE }),
    });
    const amount = report.columns.find((c) => c.column === 'amount')!;
    expect(amount.drifted).toBe(false);
    expect(amount.undecided).toBeUndefined();
    if (sketched.undecided) expect(amount.approximate).toBeUndefined();
    expect(amount.statistic!).toBeGreaterThanOrEqual(sketched.interval![0]);
    expect(amount.statistic!).toBeLessThanOrEqual(sketched.interval![1]);
  }, 120_000);
});
