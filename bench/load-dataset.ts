/**
 * How fast loadDataset turns a Parquet file into a Table.
 *
 *   npx tsx bench/load-dataset.ts [rows=1000000]
 *
 * Generates (once) a zstd Parquet fraud dataset under .data/bench/, in a child process so its
 * memory does not count, then loads it three times and prints the median as a markdown table.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { access, stat } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateFraudDataset } from '../src/data/generate.js';
import { loadDataset } from '../src/data/load-dataset.js';

const RUNS = 3;
const SEED = 1;
const GENERATE_ONLY = '--generate-only';

const rows = Number(process.argv.find((arg) => /^\d+$/.test(arg)) ?? 1_000_000);
const file = resolve('.data', 'bench', `fraud-${rows}-seed${SEED}-zstd.parquet`);

if (process.argv.includes(GENERATE_ONLY)) {
  const started = performance.now();
  await generateFraudDataset({ rows, seed: SEED, out: file, compression: 'zstd' });
  console.log(`generated ${file} in ${((performance.now() - started) / 1000).toFixed(2)} s`);
} else {
  await ensureDataset();
  const seconds: number[] = [];
  let shape = { rows: 0, columns: 0 };
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    const table = await loadDataset(file);
    seconds.push((performance.now() - started) / 1000);
    shape = { rows: table.rowCount, columns: table.columns.length };
  }
  const median = [...seconds].sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
  const megabytes = (await stat(file)).size / 1e6;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(`\nloadDataset, zstd Parquet, median of ${RUNS} (runs: ${seconds.map((s) => s.toFixed(2)).join(', ')} s)`);
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}\n`);
  console.log('| rows | columns | file MB | seconds | MB/s | peak RSS MB |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  console.log(`| ${shape.rows} | ${shape.columns} | ${megabytes.toFixed(1)} | ${median.toFixed(2)} | ${(megabytes / median).toFixed(1)} | ${peakRssMb.toFixed(0)} |`);
}

async function ensureDataset(): Promise<void> {
  try {
    await access(file);
    return;
  } catch {
    const child = fork(fileURLToPath(import.meta.url), [String(rows), GENERATE_ONLY], { execArgv: process.execArgv, stdio: 'inherit' });
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`generating ${join('.data', 'bench')} dataset failed (exit ${code})`);
  }
}
