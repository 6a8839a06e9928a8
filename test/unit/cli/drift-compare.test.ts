import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { driftCompareCommand, EXIT_DRIFT, EXIT_ERROR, EXIT_NO_DRIFT } from '../../../src/cli/commands/drift-compare.js';
import { writeDataset } from '../../../src/data/write-dataset.js';
import { isPValueTest } from '../../../src/drift/drift-options.js';
import type { DriftReport } from '../../../src/drift/drift-report.js';
import { expectClose, loadFixture, tableOf } from '../drift/drift-fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mlops-drift-compare-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the command, capturing what it prints. */
async function run(options: Parameters<typeof driftCompareCommand>[0]) {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args) => void out.push(args.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...args) => void err.push(args.join(' ')));
  try {
    return { code: await driftCompareCommand(options), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('mlops drift compare on two Parquet files', () => {
  // The Evidently 0.7 fixture with a large current window: KS, chi-square, z, a new category, NaN and ±inf.
  for (const name of ['small_reference_large_current', 'large_reference']) {
    it(`${name}: every column's test, score and verdict are Evidently's; the exit code is its dataset verdict`, async () => {
      const fixture = loadFixture(name);
      const reference = path.join(dir, `${name}-reference.parquet`);
      const current = path.join(dir, `${name}-current.parquet`);
      await writeDataset(tableOf(fixture, 'reference'), reference);
      await writeDataset(tableOf(fixture, 'current'), current);
      const json = path.join(dir, `${name}.json`);
      const html = path.join(dir, `${name}.html`);
      const { code, out } = await run({ reference, current, json, html });

      const report = JSON.parse(await readFile(json, 'utf8')) as DriftReport;
      for (const [column, expected] of Object.entries(fixture.expected.columns)) {
        const got = report.columns.find((c) => c.column === column)!;
        if (expected.evidently.error) {
          expect(got.drifted, column).toBeNull();
          continue;
        }
        expect(got.test, column).toBe(expected.evidently.test);
        expectClose(isPValueTest(got.test) ? got.pValue : got.statistic, expected.evidently.score, `${name}.${column}`);
        expect(got.drifted, column).toBe(expected.evidently.drifted);
        expect(got.approximate, `${column}: exact`).toBeUndefined();
        expect(out).toMatch(new RegExp(`^${column} .* ${expected.evidently.test} .*${expected.evidently.drifted ? 'DRIFT' : 'ok'}$`, 'm'));
      }
      expect(report.drifted).toBe(fixture.expected.dataset.driftedColumns);
      const datasetDrift = fixture.expected.dataset.share >= 0.5;
      expect(code).toBe(datasetDrift ? EXIT_DRIFT : EXIT_NO_DRIFT);
      expect(out).toContain(`${fixture.expected.dataset.driftedColumns} of ${fixture.expected.dataset.evaluatedColumns} columns drifted`);
      const page = await readFile(html, 'utf8');
      for (const column of Object.keys(fixture.kinds)) expect(page).toContain(column);
    });
  }

  it('compares only --columns, and a file against itself shows no drift', async () => {
    const fixture = loadFixture('large_reference');
    const file = path.join(dir, 'same.parquet');
    await writeDataset(tableOf(fixture, 'reference'), file);
    const numeric = Object.entries(fixture.kinds).filter(([, kind]) => kind === 'numeric').map(([column]) => column).slice(0, 2);
    const json = path.join(dir, 'same.json');
    const { code } = await run({ reference: file, current: file, columns: numeric.join(','), json });
    expect(code).toBe(EXIT_NO_DRIFT);
    expect((JSON.parse(await readFile(json, 'utf8')) as DriftReport).columns.map((c) => c.column)).toEqual(numeric);
  });

  it('exits 2 with a message naming the problem', async () => {
    const fixture = loadFixture('large_reference');
    const file = path.join(dir, 'errors.parquet');
    await writeDataset(tableOf(fixture, 'reference'), file);
    const missing = await run({ reference: path.join(dir, 'nope.parquet'), current: file });
    expect(missing.code).toBe(EXIT_ERROR);
    expect(missing.err).toMatch(/^drift compare: .*nope\.parquet/);
    const unknown = await run({ reference: file, current: file, columns: 'no_such_column' });
    expect(unknown).toMatchObject({ code: EXIT_ERROR, err: expect.stringMatching(/--columns: .*errors\.parquet has no column no_such_column \(it has /) });
    const method = await run({ reference: file, current: file, method: 'magic' });
    expect(method).toMatchObject({ code: EXIT_ERROR, err: expect.stringMatching(/^--method: /) });
  });
});
