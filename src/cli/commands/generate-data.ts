import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import { generateFraudDataset } from '../../data/generate.js';

export interface GenerateDataOptions {
  out: string;
  rows: number;
  seed: number;
  fraudRate: number;
  drift: number;
  labelNoise: number;
  patternShift: number;
  compression: 'zstd' | 'snappy' | 'uncompressed';
}

/** `mlops generate-data`: the demo's and the tests' dataset, reproducible from its seed. */
export async function generateDataCommand(options: GenerateDataOptions): Promise<number> {
  const format = options.out.endsWith('.parquet') ? 'parquet' : 'csv';
  await mkdir(path.dirname(path.resolve(options.out)), { recursive: true });
  const started = Date.now();
  const result = await generateFraudDataset({ ...options, format });
  console.log(`wrote ${result.rows} rows (${result.positives} fraud) to ${result.path} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}
