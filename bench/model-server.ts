/**
 * Model formats side by side: our linear model, a 100-round gradient boosting pipeline and a
 * 300-tree random forest (scikit-learn, converted to ONNX by bench/onnx_models.py).
 * For each: scoring a 200k-row hold-out in process (what evaluation does) against scikit-learn's
 * predict_proba on the same rows in the same run, and the model server's single-row and
 * 100-row throughput and latency (OIP v2 JSON over keep-alive connections, server in its own
 * process). Prints markdown tables.
 *
 *   npm run bench model-server [seconds=5] [connections=32] [models=linear,hgb,forest]
 * Needs the MLflow virtualenv's Python (scripts/mlflow install) for hgb and forest.
 */
import { execFile, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'undici';
import { generateFraudTable } from '../src/data/generate.js';
import { loadDataset } from '../src/data/load-dataset.js';
import { allRows, type Table } from '../src/data/table.js';
import { writeDataset } from '../src/data/write-dataset.js';
import { openScoringModel } from '../src/model/open-scoring-model.js';
import type { ScoringModel } from '../src/model/scoring-model.js';
import type { InferenceInputTensor } from '../src/serving/inference-protocol.js';
import { startModelServer } from '../src/serving/model-server.js';
import { writeArtifact } from '../src/train/artifact-file.js';
import { trainLogisticRegression } from '../src/train/logistic-regression.js';

const MODEL = 'fraud';
const TRAIN_ROWS = 20_000;
const HOLDOUT_ROWS = 200_000;
const PYTHON = path.resolve(import.meta.dirname, '../.tools/mlflow/bin/python');

interface LoadResult {
  label: string;
  rowsPerRequest: number;
  requests: number;
  errors: number;
  seconds: number;
  latenciesMs: Float64Array;
}

interface SklearnResult {
  versions: Record<string, unknown>;
  models: Record<string, { fitSeconds: number; predictSeconds: number; first: number[] }>;
}

if (process.argv[2] === '--serve') await serveChild(process.argv[3]!);
else await main(Number(process.argv[2] ?? 5), Number(process.argv[3] ?? 32), (process.argv[4] ?? 'linear,hgb,forest').split(','));

/** The server process: opens the model file (any format), starts, reports its URL over IPC. */
async function serveChild(modelFile: string): Promise<void> {
  const { model, sha256 } = await openScoringModel(modelFile);
  const server = await startModelServer({ model: MODEL, version: 1, artifact: model, artifactSha256: sha256 });
  process.send!({ url: server.url });
  process.once('disconnect', () => void server.close());
}

async function main(seconds: number, connections: number, models: string[]): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-model-server-'));
  try {
    const { table } = generateFraudTable({ rows: TRAIN_ROWS + HOLDOUT_ROWS, seed: 5, fraudRate: 0.05, nullShare: 0.05 });
    const trainRows = allRows(TRAIN_ROWS);
    const holdoutRows = Uint32Array.from({ length: HOLDOUT_ROWS }, (_, i) => TRAIN_ROWS + i);
    const trainCsv = path.join(dir, 'train.csv');
    const holdoutCsv = path.join(dir, 'holdout.csv');
    await writeDataset(table, trainCsv, { format: 'csv', rows: trainRows });
    await writeDataset(table, holdoutCsv, { format: 'csv', rows: holdoutRows });
    // The hold-out as every side reads it: from the same CSV bytes.
    const holdout = await loadDataset(holdoutCsv, { format: 'csv' });
    const features = table.columns.map((c) => c.name).filter((n) => n !== 'transaction_id' && n !== 'is_fraud');

    const files: Record<string, string> = {};
    if (models.includes('linear')) {
      const artifact = trainLogisticRegression(table, { model: MODEL, target: 'is_fraud', features, rows: trainRows, seed: 1, params: { l2: 1, maxIterations: 200, tolerance: 1e-6, minCategoryCount: 1 } });
      files.linear = (await writeArtifact(artifact, path.join(dir, 'linear'))).path;
    }
    let sklearn: SklearnResult | undefined;
    if (models.some((m) => m !== 'linear')) {
      if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run scripts/mlflow install`);
      const env = { ...process.env };
      delete env.OPENBLAS_CORETYPE; // a fair numpy: the kernel it would pick by itself
      delete env.OPENBLAS_L2_SIZE;
      const { stdout } = await promisify(execFile)(PYTHON, [path.join(import.meta.dirname, 'onnx_models.py'), trainCsv, holdoutCsv, dir, '3'], { env, maxBuffer: 64 << 20, timeout: 1_800_000 });
      sklearn = JSON.parse(stdout) as SklearnResult;
      for (const name of Object.keys(sklearn.models)) if (models.includes(name)) files[name] = path.join(dir, `${name}.onnx`);
    }

    printMachine(sklearn);
    const scoring: string[] = [];
    const serving: string[] = [];
    for (const name of models) {
      const file = files[name];
      if (!file) continue;
      const { model, sizeBytes } = await openScoringModel(file);
      const ours = await timeScoring(model, holdout);
      const reference = sklearn?.models[name];
      const parity = reference ? maxDifference(ours.first, reference.first) : undefined;
      scoring.push(
        `| ${name} | ${model.format} | ${(sizeBytes / 1024).toFixed(0)} KiB | ${ours.seconds.toFixed(3)} | ${reference ? reference.predictSeconds.toFixed(3) : '—'} | ` +
          `${reference ? `${(reference.predictSeconds / ours.seconds).toFixed(2)}×` : '—'} | ${parity === undefined ? '—' : parity.toExponential(1)} |`,
      );
      const single = JSON.stringify({ inputs: inputsOf(model, holdout, 1) });
      const batch = JSON.stringify({ inputs: inputsOf(model, holdout, 100) });
      await model.close();
      const [one, hundred] = await serveAndLoad(file, connections, seconds, [
        { body: single, rows: 1, label: 'single row' },
        { body: batch, rows: 100, label: '100-row batch' },
      ]);
      serving.push(
        `| ${name} | ${Math.round(one!.requests / one!.seconds)} | ${quantile(one!.latenciesMs, 0.5).toFixed(2)} | ${quantile(one!.latenciesMs, 0.99).toFixed(2)} | ` +
          `${Math.round((hundred!.requests * 100) / hundred!.seconds)} | ${quantile(hundred!.latenciesMs, 0.99).toFixed(2)} | ${one!.errors + hundred!.errors} |`,
      );
    }
    console.log(`\n| model | format | size | scoring ${HOLDOUT_ROWS.toLocaleString('en')} rows, ours (s) | scikit-learn predict_proba (s) | scikit-learn / ours | max |ours − sklearn| (first 1,000 rows) |`);
    console.log('|---|---|---:|---:|---:|---:|---:|');
    for (const line of scoring) console.log(line);
    console.log(`\n| model server (${connections} keep-alive connections, ${seconds} s each) | single row req/s | p50 ms | p99 ms | 100-row batches: rows/s | p99 ms | errors |`);
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const line of serving) console.log(line);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Median of 3 timed passes over the whole hold-out, after a warm-up on 1,000 rows. */
async function timeScoring(model: ScoringModel, holdout: Table): Promise<{ seconds: number; first: Float64Array }> {
  const rows = allRows(holdout.rowCount);
  await model.scoreTable(holdout, rows.subarray(0, 1000));
  const times: number[] = [];
  let scores: Float64Array = new Float64Array(0);
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    scores = await model.scoreTable(holdout, rows);
    times.push((performance.now() - started) / 1000);
  }
  return { seconds: times.sort((a, b) => a - b)[1]!, first: scores.subarray(0, 1000) };
}

async function serveAndLoad(file: string, connections: number, seconds: number, loads: Array<{ body: string; rows: number; label: string }>): Promise<LoadResult[]> {
  const child = fork(import.meta.filename, ['--serve', file], { execArgv: process.execArgv, stdio: 'inherit' });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.once('message', (message) => resolve((message as { url: string }).url));
      child.once('exit', (code) => reject(new Error(`server process exited with ${code}`)));
    });
    const pool = new Pool(url, { connections, pipelining: 1 });
    await runLoad(pool, loads[0]!.body, 1, connections, 1, 'warm-up');
    const results: LoadResult[] = [];
    for (const load of loads) results.push(await runLoad(pool, load.body, load.rows, connections, seconds, load.label));
    await pool.close();
    return results;
  } finally {
    child.disconnect();
  }
}

/** `connections` closed loops, each sending the next request when the previous answered. */
async function runLoad(pool: Pool, body: string, rowsPerRequest: number, connections: number, seconds: number, label: string): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const sent = performance.now();
        const response = await pool.request({ path: `/v2/models/${MODEL}/infer`, method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await response.body.text();
        latencies.push(performance.now() - sent);
        if (response.statusCode !== 200) errors++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { label, rowsPerRequest, requests: latencies.length, errors, seconds: elapsed, latenciesMs: Float64Array.from(latencies).sort() };
}

function printMachine(sklearn: SklearnResult | undefined): void {
  const cpus = os.cpus();
  console.log(`machine: ${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length}, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  if (sklearn) console.log(`reference: ${JSON.stringify(sklearn.versions)}; fit seconds ${Object.entries(sklearn.models).map(([n, m]) => `${n} ${m.fitSeconds.toFixed(1)}`).join(', ')}`);
}

/** Columnar OIP inputs (null for missing) for the first `rows` rows, in the model's feature order. */
function inputsOf(model: ScoringModel, table: Table, rows: number): InferenceInputTensor[] {
  return model.features.map(({ name, datatype }) => {
    const column = table.columns.find((c) => c.name === name)!;
    const data = Array.from({ length: rows }, (_, row) => {
      if (column.kind === 'numeric') return Number.isNaN(column.values[row]!) ? null : column.values[row]!;
      return column.codes[row]! < 0 ? null : column.dictionary[column.codes[row]!]!;
    });
    return { name, datatype, shape: [rows], data };
  });
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
