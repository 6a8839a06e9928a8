/**
 * Drift over 1M and 10M logged predictions × 20 numeric + 5 categorical features against a
 * 1M-row reference: the time and peak memory of building the reference profile, and of a
 * drift check (profile the window from the prediction log's Parquet files + compare).
 *
 *   npx tsx bench/drift.ts [--rows 1000000,10000000] [--dir /tmp/mlops-drift-bench] [--regenerate] [--fan-out [--workers N]]
 *
 * The data is written once (DuckDB, zstd Parquet): `reference.parquet`, and per size a
 * prediction-log tree `<dir>/log-<rows>/predictions/model=bench/date=…/hour=…/*.parquet` with the
 * gateway's columns (request_id, ts, model, version, status, latency_ms, score, error, f_<feature>),
 * so the real reader is measured. Each measurement runs in its own process for a clean peak RSS.
 * bench/drift_evidently.py runs Evidently on the same files and compares the scores.
 * --fan-out also measures the drift monitor's fanned-out path for the same window: N worker
 * processes (default: one per vCPU, as N Temporal workers would) each profile their share of the
 * day's 24 hourly partitions (the profileDriftPartition activity's code), then one merges the 24
 * profiles in time order and compares (compareDriftPartitions). Worker start-up is not counted
 * (Temporal workers are long-running); writing and reading the partition profiles is.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadDataset } from '../src/data/load-dataset.js';
import { compareResolvingUndecided, EVERY_VALUE } from '../src/drift/exact-fallback.js';
import { buildReferenceProfile, profileFromTable, readProfile, writeProfile } from '../src/drift/reference-profile.js';
import { profileFromPredictionLog } from '../src/drift/window-profile.js';
import { mergeAllProfiles } from '../src/drift/merge-profiles.js';
import type { DriftProfile } from '../src/drift/profile.js';

const MODEL = 'bench';
const DAY_START = Date.UTC(2026, 0, 15);
const DAY_MS = 86_400_000;
const NUMERIC = 20;
const CATEGORICAL = 5;

const normal = 'sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())';
const withNulls = (share: number, expression: string) => `CASE WHEN random() < ${share} THEN NULL ELSE ${expression} END`;

/** Feature expressions for the reference and the current window: a few drift, most do not. */
function featureSql(side: 'reference' | 'current'): string[] {
  const drift = side === 'current';
  const columns: string[] = [];
  for (let i = 0; i < NUMERIC; i++) {
    const kind = i % 5;
    let expression: string;
    if (kind === 0) expression = `${10 * i} + ${i + 1} * ${normal}${drift && i < 10 ? ` + ${0.2 * (i + 1)}` : ''}`;
    else if (kind === 1) expression = `exp(${1 + i / 10} + 0.6 * ${normal})${drift && i === 1 ? ' * 1.3' : ''}`;
    else if (kind === 2) expression = `floor(random() * ${[4, 12, 50, 1000][Math.floor(i / 5)]})`;
    else if (kind === 3) expression = `-ln(1 - random()) * ${i}`;
    else expression = `CASE WHEN random() < ${drift && i === 4 ? 0.45 : 0.3} THEN 1.0::DOUBLE ELSE 0.0::DOUBLE END`;
    columns.push(`${withNulls(drift && i === 3 ? 0.08 : 0.01, expression)} AS f_n${String(i).padStart(2, '0')}`);
  }
  const sizes = [3, 5, 10, 20, 50];
  for (let i = 0; i < CATEGORICAL; i++) {
    const k = sizes[i]!;
    // Skewed categories (squared uniform); the current window of c0 has a new category.
    let expression = `'v' || floor(pow(random(), 2) * ${k})::INTEGER`;
    if (drift && i === 0) expression = `CASE WHEN random() < 0.05 THEN 'new' ELSE ${expression} END`;
    columns.push(`${withNulls(0.01, expression)} AS f_c${i}`);
  }
  return columns;
}

export const FEATURES = [...Array.from({ length: NUMERIC }, (_, i) => `n${String(i).padStart(2, '0')}`), ...Array.from({ length: CATEGORICAL }, (_, i) => `c${i}`)];

async function generate(dir: string, sizes: number[], regenerate: boolean): Promise<void> {
  await mkdir(dir, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run('SELECT setseed(0.42)');
  const reference = path.join(dir, 'reference.parquet');
  if (regenerate || !existsSync(reference)) {
    const started = performance.now();
    const columns = featureSql('reference').map((c) => c.replace(/ AS f_/, ' AS '));
    await connection.run(`COPY (SELECT ${columns.join(', ')} FROM range(1000000)) TO '${reference}' (FORMAT parquet, COMPRESSION zstd)`);
    console.log(`wrote ${reference} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  for (const rows of sizes) {
    const logDir = path.join(dir, `log-${rows}`);
    if (!regenerate && existsSync(path.join(logDir, 'predictions'))) continue;
    await rm(logDir, { recursive: true, force: true });
    const target = path.join(logDir, 'predictions', `model=${MODEL}`);
    await mkdir(target, { recursive: true });
    const started = performance.now();
    const ts = `make_timestamp(${DAY_START * 1000}::BIGINT + (i * ${DAY_MS * 1000} // ${rows})::BIGINT)`;
    await connection.run(
      `COPY (SELECT uuid()::VARCHAR AS request_id, ${ts} AS ts, '${MODEL}' AS model, 1 AS version, 200 AS status, 2.5 AS latency_ms, random() AS score, NULL::VARCHAR AS error, ` +
        `${featureSql('current').join(', ')}, strftime(ts, '%Y-%m-%d') AS date, strftime(ts, '%H') AS hour FROM range(${rows}) t(i)) ` +
        `TO '${target}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date, hour), OVERWRITE_OR_IGNORE)`,
    );
    console.log(`wrote ${rows.toLocaleString('en-US')} logged predictions in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  connection.closeSync();
  instance.closeSync();
}

interface Measurement {
  step: string;
  rows: number;
  seconds: number;
  phases: Record<string, number>;
  peakRssMb: number;
  note: string;
}

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function measureReference(dir: string): Promise<Measurement> {
  const started = performance.now();
  const table = await loadDataset(path.join(dir, 'reference.parquet'));
  const loaded = performance.now();
  const profile = buildReferenceProfile(table, FEATURES);
  const built = performance.now();
  const file = path.join(dir, 'reference-profile.json');
  await writeProfile(profile, file);
  const written = performance.now();
  const size = (await stat(file)).size;
  return {
    step: 'reference profile (load Parquet + profile + write)',
    rows: table.rowCount,
    seconds: (written - started) / 1000,
    phases: { load: (loaded - started) / 1000, profile: (built - loaded) / 1000, write: (written - built) / 1000 },
    peakRssMb: peakRssMb(),
    note: `profile file ${(size / 1e6).toFixed(1)} MB`,
  };
}

async function measureWindow(dir: string, rows: number): Promise<Measurement> {
  const reference = await readProfile(path.join(dir, 'reference-profile.json'));
  const baseline = peakRssMb();
  const started = performance.now();
  const current = await profileFromPredictionLog(path.join(dir, `log-${rows}`), MODEL, DAY_START, DAY_START + DAY_MS, reference.features);
  const profiled = performance.now();
  // As the drift monitor does: columns the sketches cannot decide are read in full on both sides.
  let exactColumns: string[] = [];
  const report = await compareResolvingUndecided(reference, current, { model: MODEL, version: 1, window: { from: new Date(DAY_START).toISOString(), to: new Date(DAY_START + DAY_MS).toISOString() } }, {
    reference: async (features) => {
      exactColumns = features.map((feature) => feature.name);
      return profileFromTable(await loadDataset(path.join(dir, 'reference.parquet')), exactColumns, { ...reference.options, sampleSize: EVERY_VALUE });
    },
    current: (features) => profileFromPredictionLog(path.join(dir, `log-${rows}`), MODEL, DAY_START, DAY_START + DAY_MS, features, { ...reference.options, sampleSize: EVERY_VALUE }),
  });
  const compared = performance.now();
  await writeFile(path.join(dir, `ours-${rows}.json`), JSON.stringify(Object.fromEntries(report.columns.map((c) => [c.column, { test: c.test, score: c.pValue ?? c.statistic, drifted: c.drifted, approximate: c.approximate ?? false, interval: c.interval, undecided: c.undecided ?? false, exact: exactColumns.includes(c.column) }]))));
  if (current.rows !== rows) throw new Error(`expected ${rows} rows in the window, read ${current.rows}`);
  return {
    step: 'drift check (profile the log window + compare)',
    rows,
    seconds: (compared - started) / 1000,
    phases: { profile: (profiled - started) / 1000, [`compare (${exactColumns.length} columns read in full)`]: (compared - profiled) / 1000 },
    peakRssMb: peakRssMb(),
    note: `${report.drifted}/${report.evaluated} drifted, share ${report.share.toFixed(2)}; reference profile alone ≈ ${baseline} MB RSS`,
  };
}

/** One fan-out worker: profiles each of its hours and writes the profile where the merge reads it. */
async function profileHours(dir: string, rows: number, hours: number[]): Promise<{ seconds: number; peakRssMb: number }> {
  const reference = await readProfile(path.join(dir, 'reference-profile.json'));
  const started = performance.now();
  for (const hour of hours) {
    const from = DAY_START + hour * 3_600_000;
    const profile = await profileFromPredictionLog(path.join(dir, `log-${rows}`), MODEL, from, from + 3_600_000, reference.features, reference.options);
    await writeProfile(profile, path.join(dir, `partition-${rows}-${hour}.json`));
  }
  return { seconds: (performance.now() - started) / 1000, peakRssMb: peakRssMb() };
}

async function measureFanOut(dir: string, rows: number, workers: number): Promise<Measurement> {
  const reference = await readProfile(path.join(dir, 'reference-profile.json'));
  const script = fileURLToPath(import.meta.url);
  const shares = Array.from({ length: workers }, (_, worker) => Array.from({ length: 24 }, (_, hour) => hour).filter((hour) => hour % workers === worker));
  const started = performance.now();
  const profiled = await Promise.all(shares.map((hours) => new Promise<{ seconds: number; peakRssMb: number }>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', script, 'profile-hours', dir, String(rows), hours.join(',')], { encoding: 'utf8', maxBuffer: 1 << 24 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as { seconds: number; peakRssMb: number });
    });
  })));
  const allProfiled = performance.now();
  const partitions: DriftProfile[] = [];
  for (let hour = 0; hour < 24; hour++) partitions.push(await readProfile(path.join(dir, `partition-${rows}-${hour}.json`)));
  const read = performance.now();
  const merged = mergeAllProfiles(partitions);
  const mergedAt = performance.now();
  let exactColumns: string[] = [];
  const report = await compareResolvingUndecided(reference, merged, { model: MODEL, version: 1, window: { from: new Date(DAY_START).toISOString(), to: new Date(DAY_START + DAY_MS).toISOString() } }, {
    reference: async (features) => {
      exactColumns = features.map((feature) => feature.name);
      return profileFromTable(await loadDataset(path.join(dir, 'reference.parquet')), exactColumns, { ...reference.options, sampleSize: EVERY_VALUE });
    },
    current: (features) => profileFromPredictionLog(path.join(dir, `log-${rows}`), MODEL, DAY_START, DAY_START + DAY_MS, features, { ...reference.options, sampleSize: EVERY_VALUE }),
  });
  const compared = performance.now();
  if (merged.rows !== rows) throw new Error(`expected ${rows} rows in the window, merged ${merged.rows}`);
  const single = JSON.parse(await readFile(path.join(dir, `ours-${rows}.json`), 'utf8').catch(() => '{}')) as Record<string, { drifted: boolean }>;
  const disagree = report.columns.filter((column) => single[column.column] !== undefined && single[column.column]!.drifted !== column.drifted).map((column) => column.column);
  return {
    step: `drift check fanned out (${workers} workers × 24 hourly partitions, merge, compare)`,
    rows,
    seconds: (compared - started) / 1000,
    phases: {
      'profile hours (slowest worker)': (allProfiled - started) / 1000,
      'read 24 profiles': (read - allProfiled) / 1000,
      'merge': (mergedAt - read) / 1000,
      [`compare (${exactColumns.length} columns read in full)`]: (compared - mergedAt) / 1000,
    },
    peakRssMb: Math.max(peakRssMb(), ...profiled.map((worker) => worker.peakRssMb)),
    note: `${report.drifted}/${report.evaluated} drifted; verdicts ${disagree.length === 0 ? 'equal to the one-pass check' : `differ from the one-pass check on ${disagree.join(', ')}`}; worker busy ${profiled.map((worker) => worker.seconds.toFixed(1)).join(' / ')} s`,
  };
}

function runChild(args: string[]): Measurement {
  const script = fileURLToPath(import.meta.url);
  const output = execFileSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(output.trim().split('\n').pop()!) as Measurement;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const option = (name: string) => {
    const index = argv.indexOf(name);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const dir = option('--dir') ?? path.join(os.tmpdir(), 'mlops-drift-bench');
  if (argv[0] === 'measure-reference') return void console.log(JSON.stringify(await measureReference(argv[1]!)));
  if (argv[0] === 'measure-window') return void console.log(JSON.stringify(await measureWindow(argv[1]!, Number(argv[2]))));
  if (argv[0] === 'profile-hours') return void console.log(JSON.stringify(await profileHours(argv[1]!, Number(argv[2]), argv[3]!.split(',').map(Number))));
  if (argv[0] === 'measure-fan-out') return void console.log(JSON.stringify(await measureFanOut(argv[1]!, Number(argv[2]), Number(argv[3]))));

  const sizes = (option('--rows') ?? '1000000,10000000').split(',').map(Number);
  await generate(dir, sizes, argv.includes('--regenerate'));
  const results = [runChild(['measure-reference', dir])];
  const workers = Number(option('--workers') ?? os.cpus().length);
  for (const rows of sizes) {
    if (!argv.includes('--fan-out-only')) results.push(runChild(['measure-window', dir, String(rows)]));
    if (argv.includes('--fan-out') || argv.includes('--fan-out-only')) results.push(runChild(['measure-fan-out', dir, String(rows), String(workers)]));
  }

  console.log(`\n${os.cpus().length} vCPU (${os.cpus()[0]?.model.trim()}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${os.loadavg()[0]!.toFixed(1)}`);
  console.log('| step | rows | seconds | phases (s) | peak RSS MB | notes |');
  console.log('|---|---:|---:|---|---:|---|');
  for (const r of results) {
    const phases = Object.entries(r.phases).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
    console.log(`| ${r.step} | ${r.rows.toLocaleString('en-US')} | ${r.seconds.toFixed(2)} | ${phases} | ${r.peakRssMb} | ${r.note} |`);
  }
  for (const rows of sizes) {
    const log = JSON.parse(await readFile(path.join(dir, `ours-${rows}.json`), 'utf8')) as Record<string, { test: string; score: number; approximate: boolean; interval?: [number, number]; exact: boolean }>;
    const describe = ([c, v]: [string, (typeof log)[string]]) =>
      `${c} ${v.test} ${v.score.toPrecision(3)}${v.exact ? ' (read in full: exact)' : v.interval ? ` ≈ in [${v.interval[0].toPrecision(3)}, ${v.interval[1].toPrecision(3)}]` : ''}`;
    console.log(`\ncolumns at ${rows.toLocaleString('en-US')} rows: ${Object.entries(log).map(describe).join('; ')}`);
  }
}

await main();
