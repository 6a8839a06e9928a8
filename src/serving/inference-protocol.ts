/**
 * The Open Inference Protocol v2 (KServe v2) REST messages as this server speaks them: one
 * input tensor per feature holding a column of the batch (like MLServer's pandas codec), and
 * two output tensors, `probability` and `label`. The JSON schemas go on the fastify routes;
 * the checks that need the model (names, lengths, value types) are done here and in
 * inference-model.ts, with messages that name the input and what was expected.
 */
import { InferenceInputError, showValue, type FeatureColumn } from './inference-model.js';
import type { ScoringModel } from '../model/scoring-model.js';
import packageJson from '../../package.json' with { type: 'json' };
import { BINARY_EXTENSION } from './oip-binary.js';

/** What decoding and metadata need of a model: its inputs, by name. */
type ModelInputs = Pick<ScoringModel, 'features' | 'featureIndex'> & { platform?: string };

export const MODEL_PLATFORM = 'mlops-linear';
/** A probability at or above this is label 1. */
export const LABEL_THRESHOLD = 0.5;

export interface InferenceInputTensor {
  name: string;
  /** `[n]` or `[n, 1]` for a batch of n rows. */
  shape: number[];
  datatype: string;
  data: unknown[];
  parameters?: Record<string, unknown>;
}

export interface InferenceRequest {
  id?: string;
  inputs: InferenceInputTensor[];
  /** Requested outputs by name; all outputs when absent. */
  outputs?: Array<{ name: string; parameters?: Record<string, unknown> }>;
  parameters?: Record<string, unknown>;
}

export interface InferenceOutputTensor {
  name: 'probability' | 'label';
  shape: [number];
  datatype: 'FP64' | 'INT64';
  data: number[];
}

export interface InferenceResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: InferenceOutputTensor[];
}

export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
  parameters: { artifact_sha256: string; target: string };
}

const OUTPUTS: TensorMetadata[] = [
  { name: 'probability', datatype: 'FP64', shape: [-1] },
  { name: 'label', datatype: 'INT64', shape: [-1] },
];
const OUTPUT_NAMES = new Set(OUTPUTS.map((output) => output.name));
export const OUTPUT_TENSOR_NAMES: readonly string[] = [...OUTPUT_NAMES];

export interface ServerMetadata {
  name: string;
  version: string;
  extensions: string[];
}

/** `GET /v2`: clients (tritonclient) read the extensions to know binary tensors are understood. */
export function serverMetadata(name: string): ServerMetadata {
  return { name, version: packageJson.version, extensions: [BINARY_EXTENSION] };
}

export function modelMetadata(model: ModelInputs, name: string, version: number, artifactSha256: string, target: string): ModelMetadata {
  return {
    name,
    versions: [String(version)],
    platform: model.platform ?? MODEL_PLATFORM,
    inputs: model.features.map(({ name: feature, datatype }) => ({ name: feature, datatype, shape: [-1] })),
    outputs: OUTPUTS,
    parameters: { artifact_sha256: artifactSha256, target },
  };
}

/** Route body schema: the envelope only; the values are checked while scoring (one pass). */
export const inferenceRequestSchema = {
  type: 'object',
  required: ['inputs'],
  properties: {
    id: { type: 'string' },
    inputs: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['name', 'shape', 'datatype'],
        properties: {
          name: { type: 'string', minLength: 1 },
          shape: { type: 'array', minItems: 1, maxItems: 2, items: { type: 'integer', minimum: 0 } },
          datatype: { type: 'string' },
          data: { type: 'array' },
          parameters: { type: 'object' },
        },
        // An input whose values travel as binary tensor data (oip-binary.ts) has no `data`.
        if: { required: ['parameters'], properties: { parameters: { type: 'object', required: ['binary_data_size'] } } },
        then: {},
        else: { required: ['data'] },
      },
    },
    outputs: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
    parameters: { type: 'object' },
  },
} as const;

/** Response schema: lets fastify serialise with a compiled stringifier instead of JSON.stringify. */
export const inferenceResponseSchema = {
  type: 'object',
  properties: {
    model_name: { type: 'string' },
    model_version: { type: 'string' },
    id: { type: 'string' },
    outputs: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          shape: { type: 'array', items: { type: 'integer' } },
          datatype: { type: 'string' },
          data: { type: 'array', items: { type: 'number' } },
        },
      },
    },
  },
} as const;

export interface DecodedBatch {
  /** One column per model feature, in the model's feature order. */
  columns: FeatureColumn[];
  rowCount: number;
}

/**
 * Matches the request's tensors to the model's features and checks names, datatypes and
 * shapes. The values themselves are checked by `InferenceModel.scoreColumns`.
 */
export function decodeInferenceInputs(model: ModelInputs, inputs: readonly InferenceInputTensor[]): DecodedBatch {
  const columns: Array<FeatureColumn | undefined> = new Array(model.features.length);
  let rowCount = -1;
  let firstInput = '';
  for (const input of inputs) {
    const index = model.featureIndex.get(input.name);
    if (index === undefined) {
      throw new InferenceInputError(`unknown input ${JSON.stringify(input.name)}: the model's inputs are ${model.features.map((f) => f.name).join(', ')}`);
    }
    if (columns[index] !== undefined) throw new InferenceInputError(`input "${input.name}" is given more than once`);
    const expected = model.features[index]!.datatype;
    if (input.datatype !== expected) {
      throw new InferenceInputError(`input "${input.name}": expected datatype ${expected}, got ${showValue(input.datatype)}`);
    }
    const rows = rowsOfShape(input);
    if (rowCount === -1) {
      rowCount = rows;
      firstInput = input.name;
    } else if (rows !== rowCount) {
      throw new InferenceInputError(`inputs have different lengths: "${firstInput}" has ${rowCount} rows, "${input.name}" has ${rows}`);
    }
    columns[index] = input.data;
  }
  for (let i = 0; i < columns.length; i++) {
    if (columns[i] === undefined) throw new InferenceInputError(`missing input "${model.features[i]!.name}"`);
  }
  return { columns: columns as FeatureColumn[], rowCount };
}

function rowsOfShape(input: InferenceInputTensor): number {
  const [rows, width] = input.shape as [number, number | undefined];
  if (width !== undefined && width !== 1) {
    throw new InferenceInputError(`input "${input.name}": expected shape [n] or [n, 1] (one feature per input), got [${input.shape.join(', ')}]`);
  }
  if (input.data.length !== rows) {
    throw new InferenceInputError(`input "${input.name}": shape [${input.shape.join(', ')}] says ${rows} values but data holds ${input.data.length}`);
  }
  return rows;
}

/** Which outputs to answer with; all of them when the request names none. */
export function requestedOutputs(request: InferenceRequest): { probability: boolean; label: boolean } {
  if (request.outputs === undefined || request.outputs.length === 0) return { probability: true, label: true };
  for (const { name } of request.outputs) {
    if (!OUTPUT_NAMES.has(name)) throw new InferenceInputError(`unknown output ${showValue(name)}: the model's outputs are probability, label`);
  }
  return { probability: request.outputs.some((o) => o.name === 'probability'), label: request.outputs.some((o) => o.name === 'label') };
}

export function inferenceResponse(
  name: string,
  version: number,
  id: string,
  probabilities: Float64Array,
  wanted: { probability: boolean; label: boolean },
): InferenceResponse {
  const rows = probabilities.length;
  const outputs: InferenceOutputTensor[] = [];
  if (wanted.probability) outputs.push({ name: 'probability', shape: [rows], datatype: 'FP64', data: Array.from(probabilities) });
  if (wanted.label) {
    const labels = new Array<number>(rows);
    for (let i = 0; i < rows; i++) labels[i] = probabilities[i]! >= LABEL_THRESHOLD ? 1 : 0;
    outputs.push({ name: 'label', shape: [rows], datatype: 'INT64', data: labels });
  }
  return { model_name: name, model_version: String(version), id, outputs };
}
