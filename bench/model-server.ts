/**
 * Model server throughput and latency: single-row (and 100-row) OIP infer requests over
 * keep-alive connections (undici Pool) against a server in its own process, plus the cost of
 * scoring alone. Prints markdown tables.
 *
 *   npx tsx bench/model-server.ts [seconds=5] [connections=32]
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { generateFraudTable } from '../src/data/generate.js';
import type { Table } from '../src/data/table.js';
import { compileInferenceModel } from '../src/serving/inference-model.js';
import { decodeInferenceInputs, type InferenceInputTensor } from '../src/serving/inference-protocol.js';
import { startModelServer } from '../src/serving/model-server.js';
import type { LinearModelArtifact } from '../src/train/artifact.js';
import { readArtifact, writeArtifact } from '../src/train/artifact-file.js';
import { trainLogisticRegression } from '../src/train/logistic-regression.js';
import { scoreRecord, type RecordValue } from '../src/train/predict.js';

const MODEL = 'fraud';
const FEATURES = [
  'amount', 'merchant_category', 'region', 'device_type', 'card_present', 'is_international', 'account_age_days', 'hour_of_day',
  'distance_from_home_km', 'num_tx_last_24h', 'avg_amount_30d', 'amount_to_avg_ratio', 'customer_age', 'credit_limit',
  'num_failed_logins_7d', 'merchant_risk_score', 'days_since_last_tx', 'session_duration_sec',
];

interface LoadResult {
  label: string;
  rowsPerRequest: number;
  requests: number;
  errors: number;
  seconds: number;
  latenciesMs: Float64Array;
}

if (process.argv[2] === '--serve') await serveChild(process.argv[3]!);
else await main(Number(process.argv[2] ?? 5), Number(process.argv[3] ?? 32));

/** The server process: loads the artifact, starts, reports its URL to the parent over IPC. */
async function serveChild(artifactFile: string): Promise<void> {
  const { artifact, sha256 } = await readArtifact(artifactFile);
  const server = await startModelServer({ model: MODEL, version: 1, artifact, artifactSha256: sha256 });
  process.send!({ url: server.url });
  process.once('disconnect', () => void server.close());
}

async function main(seconds: number, connections: number): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-model-server-'));
  const { table } = generateFraudTable({ rows: 5000, seed: 5, fraudRate: 0.1, nullShare: 0.05 });
  const artifact = trainLogisticRegression(table, {
    model: MODEL,
    target: 'is_fraud',
    features: FEATURES,
    rows: Uint32Array.from({ length: table.rowCount }, (_, i) => i),
    params: { l2: 1, maxIterations: 200, tolerance: 1e-6, minCategoryCount: 1 },
    seed: 1,
  });
  const written = await writeArtifact(artifact, dir);
  const child = fork(import.meta.filename, ['--serve', written.path], { execArgv: process.execArgv, stdio: 'inherit' });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.once('message', (message) => resolve((message as { url: string }).url));
      child.once('exit', (code) => reject(new Error(`server process exited with ${code}`)));
    });
    printMachine();
    printScoringCost(artifact, table);
    const pool = new Pool(url, { connections, pipelining: 1 });
    const single = JSON.stringify({ inputs: inputsOf(artifact, table, 1) });
    const batch = JSON.stringify({ inputs: inputsOf(artifact, table, 100) });
    await runLoad(pool, single, 1, connections, 1, 'warm-up'); // JIT, connections
    const results = [
      await runLoad(pool, single, 1, connections, seconds, 'single row'),
      await runLoad(pool, batch, 100, connections, seconds, '100-row batch'),
    ];
    await pool.close();
    printLoadTable(results, connections);
  } finally {
    child.disconnect();
    await rm(dir, { recursive: true, force: true });
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

/** Scoring alone, in process: decode + score one row, and the reference scoreRecord. */
function printScoringCost(artifact: LinearModelArtifact, table: Table): void {
  const scorer = compileInferenceModel(artifact);
  const inputs = inputsOf(artifact, table, 1);
  const record = Object.fromEntries(inputs.map((input) => [input.name, input.data[0] as RecordValue]));
  const time = (run: () => number): number => {
    let sink = 0;
    for (let i = 0; i < 20_000; i++) sink += run(); // warm-up
    const iterations = 200_000;
    const started = performance.now();
    for (let i = 0; i < iterations; i++) sink += run();
    if (sink === -1) console.log(sink);
    return ((performance.now() - started) * 1000) / iterations;
  };
  const served = time(() => {
    const { columns, rowCount } = decodeInferenceInputs(scorer, inputs);
    return scorer.scoreColumns(columns, rowCount)[0]!;
  });
  const reference = time(() => scoreRecord(artifact, record));
  console.log(`\n| scoring one row (${artifact.features.length} features), in process | µs |\n|---|---:|`);
  console.log(`| decodeInferenceInputs + scoreColumns | ${served.toFixed(2)} |`);
  console.log(`| scoreRecord (reference) | ${reference.toFixed(2)} |`);
}

function printLoadTable(results: LoadResult[], connections: number): void {
  console.log(`\n| request (${connections} keep-alive connections) | requests | req/s | rows/s | p50 ms | p99 ms | max ms | errors |`);
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const perSecond = r.requests / r.seconds;
    console.log(
      `| ${r.label} | ${r.requests} | ${Math.round(perSecond)} | ${Math.round(perSecond * r.rowsPerRequest)} | ` +
        `${quantile(r.latenciesMs, 0.5).toFixed(2)} | ${quantile(r.latenciesMs, 0.99).toFixed(2)} | ${r.latenciesMs[r.latenciesMs.length - 1]!.toFixed(2)} | ${r.errors} |`,
    );
  }
}

function printMachine(): void {
  const cpus = os.cpus();
  console.log(`machine: ${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length}, Node ${process.version}, ${os.platform()} ${os.release()}; server and client in separate processes`);
}

/** Columnar OIP inputs for the first `rows` rows of the table. */
function inputsOf(artifact: LinearModelArtifact, table: Table, rows: number): InferenceInputTensor[] {
  return artifact.features.map((feature) => {
    const column = table.columns.find((c) => c.name === feature.name)!;
    const data = Array.from({ length: rows }, (_, row) => {
      if (column.kind === 'numeric') return Number.isNaN(column.values[row]!) ? null : column.values[row]!;
      return column.codes[row]! < 0 ? null : column.dictionary[column.codes[row]!]!;
    });
    return { name: feature.name, datatype: feature.kind === 'numeric' ? 'FP64' : 'BYTES', shape: [rows], data };
  });
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
