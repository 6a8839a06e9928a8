/** Datasets and definitions for workflow tests, made with the project's own generator. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { generateFraudDataset } from '../../src/data/generate.js';
import type { PipelineDefinitionInput } from '../../src/spec/schema.js';

export async function makeWorkspace(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'mlops-pipeline-'));
}

export async function makeDataset(dir: string, name: string, options: { rows?: number; seed?: number; labelNoise?: number; drift?: number } = {}): Promise<string> {
  const out = path.join(dir, name);
  await generateFraudDataset({ rows: options.rows ?? 4000, seed: options.seed ?? 11, labelNoise: options.labelNoise ?? 0, drift: options.drift ?? 0, out, format: name.endsWith('.parquet') ? 'parquet' : 'csv', fraudRate: 0.1 });
  return out;
}

export function fraudDefinition(source: string, overrides: Partial<PipelineDefinitionInput> = {}): PipelineDefinitionInput {
  return {
    model: 'fraud-test',
    data: {
      source,
      target: 'is_fraud',
      exclude: ['transaction_id'],
      contract: {
        minRows: 1000,
        columns: {
          amount: { type: 'number', min: 0, maxNullShare: 0.05 },
          region: { type: 'string' },
          is_fraud: { type: 'integer', allowed: [0, 1] },
        },
      },
    },
    evaluate: { holdout: 0.25, seed: 3, gates: { roc_auc: { min: 0.7 } } },
    ...overrides,
  };
}

export async function writeDefinition(dir: string, definition: PipelineDefinitionInput, name = 'pipeline.yaml'): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, stringify(definition));
  return file;
}
