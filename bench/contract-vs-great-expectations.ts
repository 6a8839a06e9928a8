/**
 * Data contract side by side: our checker (src/data/contract.ts) with the worked example's
 * contract (examples/fraud/pipeline.yaml) vs Great Expectations 1.x with the equivalent
 * expectations on a pandas data frame (bench/contract_great_expectations.py), on the example's
 * data: 1M rows × 20 columns from the generator (the file `mlops generate-data` writes).
 *
 *   npm run bench contract-vs-great-expectations [--rows 1000000] [--rounds 5] [--append [file]]
 *
 * Two files: the clean one, and a copy with planted violations (nulls in non-null columns and
 * above a column's maxNullShare, out-of-range values, unknown categories, a repeated id, a wrong
 * label value, an integer column holding fractions). Each side validates each file in its own
 * process; the sides alternate (ours first in odd rounds), and the table shows the medians of:
 * the check on data already in memory (ours: checkDataContract on the loaded Table; GE:
 * batch.validate(suite) on the loaded DataFrame), and the whole run (ours: checkDataContractOnFile,
 * what the pipeline runs; GE: read the Parquet file + set up + check). Great Expectations runs from its own virtualenv in the versioned cache
 * (bench/install-references great-expectations, installed on first use).
 *
 * Agreement, checked on every run: the same checks, each passing or failing on both sides; any
 * difference fails the benchmark (exit 1) with the checks that differ.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { checkDataContract } from '../src/data/contract.js';
import { checkDataContractOnFile } from '../src/data/contract-file.js';
import { generateFraudTable } from '../src/data/generate.js';
import { loadDataset } from '../src/data/load-dataset.js';
import type { CategoricalColumn, NumericColumn, Table } from '../src/data/table.js';
import { writeDataset } from '../src/data/write-dataset.js';
import { loadDefinitionFile } from '../src/spec/load.js';
import type { DataContract } from '../src/spec/schema.js';
import { appendReport, appendTarget, loadAverage, machineLine, median, option, pythonEnv, referencePython, REPO, runJsonChild, TSX } from './lib/side-by-side.js';

const SEED = 1;
const GOAL = 10; // GE / ours ≥ 10
const EXAMPLE = path.join(REPO, 'examples', 'fraud', 'pipeline.yaml');

interface CheckOutcome {
  check: string;
  column: string | null;
  passed: boolean;
  unexpectedCount?: number | null;
  failingRows?: number;
}

interface SideResult {
  side: string;
  rows: number;
  readSeconds: number;
  setupSeconds: number;
  checkSeconds: number;
  importSeconds?: number;
  /** Ours: the whole run as the pipeline does it (checkDataContractOnFile), timed on its own. */
  wholeSeconds?: number;
  checks: CheckOutcome[];
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') await child(argv[1]!, argv[2]!);
else await main();

async function main(): Promise<void> {
  const rows = Number(option(argv, 'rows', '1000000'));
  const rounds = Number(option(argv, 'rounds', '5'));
  const append = appendTarget(argv);
  const loadBefore = loadAverage();

  const dir = path.join(REPO, '.data', 'bench', 'contract-vs-great-expectations');
  await mkdir(dir, { recursive: true });
  const contract = (await loadDefinitionFile(EXAMPLE)).definition.data.contract;
  if (!contract) throw new Error(`${EXAMPLE} has no data contract`);
  const contractFile = path.join(dir, 'contract.json');
  await writeFile(contractFile, JSON.stringify(contract, null, 2));
  const files = { clean: path.join(dir, `fraud-${rows}-seed${SEED}.parquet`), violations: path.join(dir, `fraud-${rows}-seed${SEED}-violations.parquet`) };
  const plantedFile = `${files.violations}.json`;
  if (!existsSync(files.clean) || !existsSync(files.violations) || !existsSync(plantedFile)) {
    const { table } = generateFraudTable({ rows, seed: SEED });
    await writeDataset(table, files.clean);
    const planted = plantViolations(table);
    await writeDataset(table, files.violations);
    await writeFile(plantedFile, JSON.stringify(planted));
  }
  const planted = JSON.parse(await readFile(plantedFile, 'utf8')) as string[];

  const python = referencePython('great-expectations');
  const env = pythonEnv();
  const script = path.join(REPO, 'bench', 'contract_great_expectations.py');
  const info = await runJsonChild<Record<string, string>>(python, [script, '--info'], { env });
  const ours = (file: string) => runJsonChild<SideResult>(TSX, [path.join(REPO, 'bench', 'contract-vs-great-expectations.ts'), '--child', file, contractFile]);
  const ge = (file: string) => runJsonChild<SideResult>(python, [script, file, contractFile], { env });

  const results: Record<'clean' | 'violations', Array<{ ours: SideResult; ge: SideResult }>> = { clean: [], violations: [] };
  const disagreements: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const kind of ['clean', 'violations'] as const) {
      let o: SideResult;
      let g: SideResult;
      if (round % 2 === 1) {
        o = await ours(files[kind]);
        g = await ge(files[kind]);
      } else {
        g = await ge(files[kind]);
        o = await ours(files[kind]);
      }
      results[kind].push({ ours: o, ge: g });
      const differences = compareChecks(o.checks, g.checks);
      for (const difference of differences) disagreements.push(`round ${round}, ${kind}: ${difference}`);
      const failed = (r: SideResult) => r.checks.filter((c) => !c.passed).length;
      console.error(
        `round ${round}, ${kind}: check ours ${o.checkSeconds.toFixed(3)} s, GE ${g.checkSeconds.toFixed(2)} s; read+setup+check ours ${total(o).toFixed(2)} s, GE ${total(g).toFixed(2)} s; failed checks ours ${failed(o)}/${o.checks.length}, GE ${failed(g)}/${g.checks.length}${differences.length ? ` — ${differences.length} DISAGREE` : ''}`,
      );
    }
  }

  const loadAfter = loadAverage();
  const lines = (kind: 'clean' | 'violations') => {
    const r = results[kind];
    const oursCheck = median(r.map((x) => x.ours.checkSeconds));
    const geCheck = median(r.map((x) => x.ge.checkSeconds));
    const oursTotal = median(r.map((x) => total(x.ours)));
    const geTotal = median(r.map((x) => total(x.ge)));
    const last = r[r.length - 1]!;
    const failed = last.ours.checks.filter((c) => !c.passed).length;
    const agree = disagreements.filter((d) => d.includes(`, ${kind}:`)).length === 0;
    const verdict = (ratio: number) => (ratio >= GOAL ? 'met' : `missed (${ratio.toFixed(1)}× of ${GOAL}×)`);
    return [
      `| ${kind} | ${last.ours.rows.toLocaleString('en')} | ${last.ours.checks.length} | ${failed} | ${fmt(oursCheck)} | ${fmt(geCheck)} | **${(geCheck / oursCheck).toFixed(1)}×** | ${verdict(geCheck / oursCheck)} | ${fmt(oursTotal)} | ${fmt(geTotal)} | ${(geTotal / oursTotal).toFixed(1)}× | ${verdict(geTotal / oursTotal)} | ${agree ? 'yes' : 'NO'} |`,
    ];
  };
  const part = (side: 'ours' | 'ge', key: 'readSeconds' | 'setupSeconds' | 'checkSeconds' | 'importSeconds' | 'wholeSeconds') => median(results.clean.map((x) => x[side][key] ?? 0));
  const runs = (kind: 'clean' | 'violations', side: 'ours' | 'ge') => results[kind].map((x) => fmt(x[side].checkSeconds)).join(', ');
  const report = [
    `### Data contract vs Great Expectations — \`bench/contract-vs-great-expectations.ts\`, \`bench/contract_great_expectations.py\``,
    '',
    `${new Date().toISOString().slice(0, 10)}; machine: ${machineLine()}; load average (1/5/15 min) ${loadBefore} before, ${loadAfter} after.`,
    `Reference: Great Expectations ${info.great_expectations} (pandas ${info.pandas}, numpy ${info.numpy}, pyarrow ${info.pyarrow}, Python ${info.python}), ephemeral context, pandas data source, \`result_format\` SUMMARY (its default).`,
    `The example's contract (examples/fraud/pipeline.yaml, 8 columns) on the example's data (generator, seed ${SEED}, ${rows.toLocaleString('en')} rows × 20 columns, zstd Parquet); each side in its own process per file, median of ${rounds} alternating rounds. "check" = the validation on data already in memory; "whole" = read the Parquet file + set up + check. Planted violations: ${planted.join('; ')}.`,
    `Check times per round (s), clean: ours ${runs('clean', 'ours')}; GE ${runs('clean', 'ge')}. With violations: ours ${runs('violations', 'ours')}; GE ${runs('violations', 'ge')}.`,
    `Whole run on the clean file, medians: ours ${fmt(part('ours', 'wholeSeconds'))} s (checkDataContractOnFile, as the pipeline runs it: the contract's 8 columns read, the id's uniqueness and nulls by one DuckDB aggregate; for comparison, reading all 20 columns into a Table takes ${fmt(part('ours', 'readSeconds'))} s); GE ${fmt(part('ge', 'readSeconds'))} s \`pd.read_parquet\` + ${fmt(part('ge', 'setupSeconds'))} s context, data source, batch and suite + ${fmt(part('ge', 'checkSeconds'))} s validating (importing great_expectations, ${fmt(part('ge', 'importSeconds'))} s, not counted).`,
    '',
    '| data | rows | checks | failing checks | ours check (s) | GE check (s) | GE / ours | goal ≥ 10× | ours whole (s) | GE whole (s) | GE / ours | goal ≥ 10× | same pass/fail per check |',
    '|---|---:|---:|---:|---:|---:|---:|:--|---:|---:|---:|:--|:--|',
    ...lines('clean'),
    ...lines('violations'),
  ].join('\n');
  console.log(`\n${report}`);
  if (append) await appendReport(append, report);
  if (disagreements.length > 0) {
    console.error(`\nFAIL: ours and Great Expectations disagree:\n  ${disagreements.join('\n  ')}`);
    process.exit(1);
  }
}

function total(result: SideResult): number {
  return result.wholeSeconds ?? result.readSeconds + result.setupSeconds + result.checkSeconds;
}

function fmt(seconds: number): string {
  return seconds < 0.1 ? seconds.toFixed(3) : seconds.toFixed(2);
}

/** Differences between the two sides' checks, matched by check name and column in order. */
function compareChecks(ours: CheckOutcome[], ge: CheckOutcome[]): string[] {
  const key = (c: CheckOutcome) => `${c.check}${c.column ? ` ${c.column}` : ''}`;
  const differences: string[] = [];
  const theirs = new Map(ge.map((c) => [key(c), c]));
  for (const check of ours) {
    const other = theirs.get(key(check));
    theirs.delete(key(check));
    if (!other) differences.push(`${key(check)}: only ours has this check`);
    else if (other.passed !== check.passed) {
      differences.push(`${key(check)}: ours ${check.passed ? 'passes' : `fails (${check.failingRows} rows)`}, GE ${other.passed ? 'passes' : `fails (${other.unexpectedCount ?? 'n/a'} unexpected)`}`);
    }
  }
  for (const other of theirs.values()) differences.push(`${key(other)}: only GE has this check`);
  return differences;
}

/** Plants violations of the example's contract into the table, in place; returns what was planted. */
function plantViolations(table: Table): string[] {
  const rows = table.rowCount;
  const numeric = (name: string) => table.columns.find((c) => c.name === name) as NumericColumn;
  const categorical = (name: string) => table.columns.find((c) => c.name === name) as CategoricalColumn;
  // Spread over the file with a fixed stride, so the rows are the same on every run.
  const spread = (count: number, offset: number) => Array.from({ length: Math.min(count, rows) }, (_, i) => (offset + Math.floor((i * rows) / Math.min(count, rows))) % rows);
  const planted: string[] = [];
  const plant = (what: string, count: number, mark: (row: number) => void, offset: number) => {
    const chosen = spread(count, offset);
    chosen.forEach(mark);
    planted.push(`${what} (${chosen.length} ${chosen.length === 1 ? 'row' : 'rows'})`);
  };
  const amount = numeric('amount');
  plant('amount null, above its maxNullShare 1%', Math.ceil(rows * 0.02), (row) => (amount.values[row] = Number.NaN), 3);
  plant('amount < 0', Math.ceil(rows / 10_000), (row) => (amount.values[row] = -5), 7);
  const hour = numeric('hour_of_day');
  plant('hour_of_day 24 or -1', Math.ceil(rows / 10_000), (row) => (hour.values[row] = row % 2 === 0 ? 24 : -1), 11);
  plant('hour_of_day null', Math.ceil(rows / 100_000), (row) => (hour.values[row] = Number.NaN), 13);
  const region = categorical('region');
  region.dictionary.push('northeast');
  plant('region "northeast" (not allowed)', Math.ceil(rows / 10_000), (row) => (region.codes[row] = region.dictionary.length - 1), 17);
  const merchant = categorical('merchant_category');
  plant('merchant_category null', Math.ceil(rows / 100_000), (row) => (merchant.codes[row] = -1), 19);
  const id = categorical('transaction_id');
  plant('transaction_id repeating the previous row', Math.ceil(rows / 100_000), (row) => (id.codes[row] = id.codes[row === 0 ? 1 : row - 1]!), 23);
  const label = numeric('is_fraud');
  plant('is_fraud = 2', Math.ceil(rows / 200_000), (row) => (label.values[row] = 2), 29);
  const card = numeric('card_present');
  plant('card_present null', Math.ceil(rows / 100_000), (row) => (card.values[row] = Number.NaN), 31);
  // An integer column written as DOUBLE with fractions: "integer" fails on both sides.
  const age = numeric('account_age_days');
  age.sourceType = 'DOUBLE';
  plant('account_age_days stored as DOUBLE with fractions (type integer)', Math.ceil(rows / 50_000), (row) => (age.values[row] = age.values[row]! + 0.5), 37);
  return planted;
}

/**
 * Our side, one JSON line out: the whole run as the pipeline's activity does it
 * (checkDataContractOnFile: only the contract's columns, the id's uniqueness by aggregate), then
 * the check alone on the whole table already in memory (checkDataContract). Both must agree.
 */
async function child(file: string, contractFile: string): Promise<void> {
  const contract = JSON.parse(await readFile(contractFile, 'utf8')) as DataContract;
  let started = performance.now();
  const report = await checkDataContractOnFile(file, contract);
  const wholeSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const table = await loadDataset(file);
  const readSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const inMemory = checkDataContract(table, contract);
  const checkSeconds = (performance.now() - started) / 1000;
  const outcomes = (r: typeof report) => r.checks.map((c) => `${c.check}/${c.column ?? ''}/${c.passed}/${c.failingRows}`).join(' ');
  if (outcomes(report) !== outcomes(inMemory)) throw new Error(`the file check and the in-memory check disagree:\n${outcomes(report)}\n${outcomes(inMemory)}`);
  const result: SideResult = {
    side: 'ours',
    rows: report.rowCount,
    readSeconds,
    setupSeconds: 0,
    checkSeconds,
    wholeSeconds,
    checks: report.checks.map((c) => ({ check: c.check, column: c.column ?? null, passed: c.passed, failingRows: c.failingRows })),
  };
  console.log(JSON.stringify(result));
}
