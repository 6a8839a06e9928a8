/**
 * Built-in trainer throughput: a seeded synthetic table (default 1M rows × 15 numeric + 5
 * categorical features, 2% missing) trained with the default parameters. Prints a markdown table.
 *
 *   npx tsx bench/train.ts [rows]
 */
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import type { CategoricalColumn, NumericColumn, Table } from '../src/data/table.js';
import { trainLogisticRegression } from '../src/train/logistic-regression.js';
import { buildDesignMatrix, fitFeatureEncodings } from '../src/train/preprocess.js';

const NUMERIC_FEATURES = 15;
const CATEGORY_LEVELS = [5, 6, 7, 8, 6];
const MISSING_SHARE = 0.02;
const SEED = 42;

/** splitmix32: small, fast, and the same sequence on every machine. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

export function syntheticTable(rowCount: number, seed: number): Table {
  const random = seededRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const margins = new Float64Array(rowCount).fill(-0.5);
  const columns: Table['columns'] = [];
  for (let j = 0; j < NUMERIC_FEATURES; j++) {
    const values = new Float64Array(rowCount);
    const weight = (j % 5) * 0.3 - 0.6;
    const [scale, shift] = [1 + j, j * 10];
    for (let i = 0; i < rowCount; i++) {
      const z = gaussian();
      margins[i] = margins[i]! + weight * z;
      values[i] = random() < MISSING_SHARE ? Number.NaN : shift + scale * z;
    }
    columns.push({ name: `x${j}`, kind: 'numeric', sourceType: 'DOUBLE', values } satisfies NumericColumn);
  }
  CATEGORY_LEVELS.forEach((levels, k) => {
    const codes = new Int32Array(rowCount);
    const effects = Array.from({ length: levels }, (_, level) => (level - levels / 2) * 0.2);
    for (let i = 0; i < rowCount; i++) {
      const code = Math.floor(random() * levels);
      margins[i] = margins[i]! + effects[code]!;
      codes[i] = random() < MISSING_SHARE ? -1 : code;
    }
    const dictionary = Array.from({ length: levels }, (_, level) => `c${k}_${level}`);
    columns.push({ name: `cat${k}`, kind: 'categorical', sourceType: 'VARCHAR', codes, dictionary } satisfies CategoricalColumn);
  });
  const label = new Float64Array(rowCount);
  for (let i = 0; i < rowCount; i++) label[i] = random() < 1 / (1 + Math.exp(-margins[i]!)) ? 1 : 0;
  columns.push({ name: 'label', kind: 'numeric', sourceType: 'BIGINT', values: label });
  return { rowCount, columns };
}

async function main(): Promise<void> {
  const rowCount = Number(process.argv[2] ?? 1_000_000);
  const table = syntheticTable(rowCount, SEED);
  const features = table.columns.map((c) => c.name).filter((name) => name !== 'label');
  const rows = new Uint32Array(rowCount).map((_, i) => i);
  const params = { l2: 1, maxIterations: 200, tolerance: 1e-6, minCategoryCount: 1 };

  let started = performance.now();
  const encodings = fitFeatureEncodings(table, features, rows, params.minCategoryCount);
  const design = buildDesignMatrix(table, encodings, rows);
  const preprocessSeconds = (performance.now() - started) / 1000;

  started = performance.now();
  const artifact = trainLogisticRegression(table, { model: 'bench', target: 'label', features, rows, params, seed: SEED });
  const totalSeconds = (performance.now() - started) / 1000;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;

  const t = artifact.training;
  console.log(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}\n`);
  console.log('| rows | features | encoded columns | iterations | converged | preprocessing (s) | training incl. preprocessing (s) | peak RSS (MB) |');
  console.log('|---:|---:|---:|---:|:---|---:|---:|---:|');
  console.log(`| ${rowCount.toLocaleString('en')} | ${features.length} | ${design.width} | ${t.iterations} | ${t.converged ? 'yes' : 'no'} | ${preprocessSeconds.toFixed(2)} | ${totalSeconds.toFixed(2)} | ${peakRssMb.toFixed(0)} |`);
}

// Run only as a script, so the synthetic table can be imported by other measurements.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
