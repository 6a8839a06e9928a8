/**
 * ONNX through the model-format port against scikit-learn's own `predict_proba` (fixtures made
 * by scripts/fixtures/make_onnx_fixtures.py): table scoring and request scoring agree with it to
 * 1e-5 and with each other exactly, and every kind of bad model is refused by name.
 */
import { readFile, writeFile, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../../src/data/load-dataset.js';
import type { Table } from '../../../src/data/table.js';
import { modelFormatOf, openScoringModel } from '../../../src/model/open-scoring-model.js';
import { readOnnxModelHeader } from '../../../src/model/onnx-model-header.js';
import { InferenceInputError, ModelFormatError } from '../../../src/model/scoring-model.js';

const fixtures = fileURLToPath(new URL('../../fixtures/onnx/', import.meta.url));
const fixture = (name: string) => path.join(fixtures, name);

interface Expected {
  trainRows: number;
  numeric: string[];
  matrixColumns: string[];
  probabilities: Record<string, number[]>;
  versions: Record<string, string>;
}

let expected: Expected;
let table: Table;
let holdout: Uint32Array;

beforeAll(async () => {
  expected = JSON.parse(await readFile(fixture('expected.json'), 'utf8')) as Expected;
  table = await loadDataset(fixture('data.csv'), { format: 'csv' });
  holdout = Uint32Array.from({ length: table.rowCount - expected.trainRows }, (_, i) => expected.trainRows + i);
});

/** The hold-out rows as request columns (null for missing), in the model's feature order. */
function requestColumns(features: ReadonlyArray<{ name: string }>): unknown[][] {
  return features.map(({ name }) => {
    const column = table.columns.find((c) => c.name === name)!;
    return Array.from(holdout, (row) => {
      if (column.kind === 'numeric') return Number.isNaN(column.values[row]!) ? null : column.values[row]!;
      const code = column.codes[row]!;
      return code >= 0 ? column.dictionary[code]! : null;
    });
  });
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('ONNX models score as scikit-learn does', () => {
  it.each(['hgb', 'forest', 'logistic-matrix'])('%s: hold-out probabilities equal predict_proba to 1e-5; a request scores the same rows identically', async (name) => {
    const { model, sha256 } = await openScoringModel(fixture(`${name}.onnx`));
    try {
      expect(model.format).toBe('onnx');
      expect(sha256).toMatch(/^[0-9a-f]{64}$/);
      const scores = await model.scoreTable(table, holdout);
      expect(maxDifference(scores, expected.probabilities[name]!)).toBeLessThanOrEqual(1e-5);
      // The served path (OIP columns, null for missing) gives the same numbers bit for bit.
      const served = await model.scoreColumns(requestColumns(model.features), holdout.length);
      expect(Array.from(served)).toEqual(Array.from(scores));
    } finally {
      await model.close();
    }
  });

  it('per-column models take their inputs by column name, with text columns as BYTES', async () => {
    const { model } = await openScoringModel(fixture('hgb.onnx'));
    try {
      expect(model.features.map((f) => f.name).sort()).toEqual([...expected.numeric, 'merchant_category', 'region', 'device_type'].sort());
      for (const { name, datatype } of model.features) expect(datatype).toBe(expected.numeric.includes(name) ? 'FP64' : 'BYTES');
    } finally {
      await model.close();
    }
  });

  it('a single matrix input takes its column order from metadata_props "mlops.features"', async () => {
    const { model } = await openScoringModel(fixture('logistic-matrix.onnx'));
    try {
      expect(model.features.map((f) => f.name)).toEqual(expected.matrixColumns);
      const header = readOnnxModelHeader(await readFile(fixture('logistic-matrix.onnx')));
      expect(header).toMatchObject({ metadata: { 'mlops.features': expected.matrixColumns.join(',') }, opsets: { '': 17 } });
    } finally {
      await model.close();
    }
  });

  it('refuses request values of the wrong kind with the input and index named', async () => {
    const { model } = await openScoringModel(fixture('hgb.onnx'));
    try {
      const columns = requestColumns(model.features).map((column) => column.slice(0, 3));
      const region = model.featureIndex.get('region')!;
      const amount = model.featureIndex.get('amount')!;
      columns[region] = ['north', 7, 'east'];
      await expect(model.scoreColumns(columns, 3)).rejects.toThrow(new InferenceInputError('input "region": expected BYTES strings or null, got 7 at index 1'));
      columns[region] = ['north', 'south', 'east'];
      columns[amount] = [1, 2, 'lots'];
      await expect(model.scoreColumns(columns, 3)).rejects.toThrow(/input "amount": expected FP64 numbers or null, got "lots" at index 2/);
    } finally {
      await model.close();
    }
  });
});

describe('bad models are refused with the problem named', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mlops-onnx-bad-'));
  });

  const refusal = async (file: string, check?: (model: Awaited<ReturnType<typeof openScoringModel>>['model']) => Promise<unknown>) => {
    const error = await openScoringModel(file).then(async ({ model }) => {
      try {
        await check?.(model);
      } finally {
        await model.close();
      }
    }).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(ModelFormatError);
    return (error as ModelFormatError).problem;
  };

  it('a file that is not ONNX', async () => {
    const pickle = path.join(dir, 'model.onnx');
    await writeFile(pickle, Buffer.from([0x80, 0x04, 0x95, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x8c]));
    expect(await refusal(pickle)).toMatch(/^not an ONNX model/);
    const text = path.join(dir, 'text.onnx');
    await writeFile(text, 'hello, I am a model\n');
    expect(await refusal(text)).toMatch(/^not an ONNX model/);
    expect(readOnnxModelHeader(new Uint8Array(0))).toEqual({ problem: 'not an ONNX model (no ir_version or graph in the file)' });
  });

  it('an opset the runtime cannot load', async () => {
    expect(await refusal(fixture('future-opset.onnx'))).toMatch(/^onnxruntime \S+ cannot load it \(opsets ai\.onnx 99\): /);
  });

  it('a ZipMap probability output, with the converter option that removes it', async () => {
    expect(await refusal(fixture('zipmap.onnx'))).toMatch(/probability output "output_probability" is a ZipMap .* convert with zipmap=False/);
  });

  it('no probability output', async () => {
    expect(await refusal(fixture('regressor.onnx'))).toMatch(/^no probability output: expected a float tensor named like "probabilities" .*; the outputs are variable$/);
  });

  it('inputs that do not match the data columns', async () => {
    expect(await refusal(fixture('unknown-input.onnx'), (model) => model.scoreTable(table, holdout))).toMatch(/^input "amount_usd" is not a column of the data \(columns: transaction_id, amount, /);
  });

  it('tells the formats apart by their bytes, not their names', () => {
    expect(modelFormatOf(Buffer.from(' \n{"format": "mlops.linear-model/v1"}'))).toBe('linear');
    expect(modelFormatOf(Buffer.from([0x08, 0x08, 0x12]))).toBe('onnx');
  });
});
