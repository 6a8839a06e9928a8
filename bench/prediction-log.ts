/**
 * How many records per second the prediction log sustains, what a flush costs, and how long
 * flushing holds up the event loop (which is what a gateway request would feel).
 *
 *   npx tsx bench/prediction-log.ts [seconds=10]        (BENCH_RATES=2000,10000 to pick rates)
 *
 * Records look like the gateway's: 8 numeric features, a categorical one, a score. Each rate is
 * offered open loop (appends every millisecond) with the gateway's defaults (flush every 1 s
 * or 10 000 rows, bound 100 000 rows).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { PredictionRecord } from '../src/serving/gateway-contract.js';
import { PredictionLog } from '../src/serving/prediction-log.js';

const seconds = Number(process.argv[2] ?? 10);
const RATES = (process.env.BENCH_RATES ?? '2000,10000,50000,100000').split(",").map(Number);
const REGIONS = ['eu', 'us', 'apac', 'latam'];

function record(i: number, now: number): PredictionRecord {
  return {
    requestId: `4f0c2a9e-7d1b-4c55-9a3e-${String(i).padStart(12, '0')}`,
    timestamp: now,
    model: 'fraud-detector',
    version: 1 + (i % 2),
    status: 200,
    latencyMs: 1 + (i % 17) / 10,
    score: (i % 100) / 100,
    features: {
      amount: (i * 7.31) % 5000, age: 18 + (i % 60), tenure_days: i % 3000, merchant_risk: (i % 13) / 13, hour: i % 24,
      distance_km: (i * 1.7) % 800, prior_chargebacks: i % 3, device_score: (i % 101) / 100, region: REGIONS[i % 4]!,
    },
  };
}

async function appendCost(): Promise<number> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-plog-bench-'));
  const log = new PredictionLog({ dataDir, flushIntervalMs: 3_600_000, flushRows: 10_000_000, maxBufferedRows: 10_000_000 });
  const records = Array.from({ length: 200_000 }, (_, i) => record(i, Date.now()));
  const started = performance.now();
  for (const r of records) log.append(r);
  const perSecond = records.length / ((performance.now() - started) / 1000);
  await log.close();
  await rm(dataDir, { recursive: true, force: true });
  return perSecond;
}

interface RateResult {
  rate: number;
  offered: number;
  written: number;
  dropped: number;
  flushes: number[];
  rowsPerFlush: number;
  loopP99: number;
  loopMax: number;
  cpuPercent: number;
  megabytes: number;
}

async function sustain(rate: number): Promise<RateResult> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-plog-bench-'));
  const flushes: { rows: number; ms: number }[] = [];
  const log = new PredictionLog({ dataDir, onFlush: (flush) => flushes.push(flush) });
  await log.open(); // as the gateway does before it listens
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const cpu = process.cpuUsage();
  loop.enable();
  const begin = performance.now();
  let offered = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = performance.now() - begin;
      const due = Math.min(rate * seconds, Math.floor((elapsed / 1000) * rate));
      const now = Date.now();
      while (offered < due) log.append(record(offered++, now));
      if (elapsed >= seconds * 1000) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  loop.disable();
  const used = process.cpuUsage(cpu);
  await log.close();
  const { stdout } = await import('node:child_process').then(({ execFileSync }) => ({ stdout: execFileSync('du', ['-sk', dataDir]).toString() }));
  await rm(dataDir, { recursive: true, force: true });
  const stats = log.stats;
  return {
    rate,
    offered,
    written: stats.writtenRows,
    dropped: stats.droppedRows,
    flushes: flushes.map((flush) => flush.ms).sort((a, b) => a - b),
    rowsPerFlush: flushes.reduce((sum, flush) => sum + flush.rows, 0) / Math.max(1, flushes.length),
    loopP99: loop.percentile(99) / 1e6,
    loopMax: loop.max / 1e6,
    cpuPercent: ((used.user + used.system) / 1000 / (seconds * 1000)) * 100,
    megabytes: Number(stdout.split('\t')[0]) / 1024,
  };
}

const quantile = (sorted: number[], q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN;

const results: RateResult[] = [];
for (const rate of RATES) results.push(await sustain(rate));
// Last: its 200 000 buffered records would leave garbage for the rates' measurements.
const appendPerSecond = await appendCost();

console.log(`\nPrediction log writer (DuckDB appender → zstd Parquet), ${seconds} s per rate, default flush policy (1 s or 10 000 rows)`);
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`);
console.log(`append() alone (buffering only): ${(appendPerSecond / 1e6).toFixed(2)} M records/s\n`);
console.log('| offered records/s | written records/s | dropped | flushes | rows/flush | flush p50 / p99 / max ms | event-loop delay p99 / max ms | CPU | Parquet MB |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  console.log(
    `| ${r.rate} | ${(r.written / seconds).toFixed(0)} | ${r.dropped} | ${r.flushes.length} | ${r.rowsPerFlush.toFixed(0)} | ` +
      `${quantile(r.flushes, 0.5).toFixed(1)} / ${quantile(r.flushes, 0.99).toFixed(1)} / ${(r.flushes.at(-1) ?? NaN).toFixed(1)} | ` +
      `${r.loopP99.toFixed(2)} / ${r.loopMax.toFixed(2)} | ${r.cpuPercent.toFixed(0)} % | ${r.megabytes.toFixed(1)} |`,
  );
}
