/**
 * An ONNX graph behind the model-format port, scored in process by onnxruntime-node (CPU).
 *
 * Inputs, as converters write them:
 * - one tensor per column ([n, 1] or [n]), named as the column: skl2onnx's ColumnTransformer
 *   pipelines; `string` inputs take text, float/double/int64/int32/bool inputs take numbers;
 * - or one float matrix [n, k] whose column order is in the model's `metadata_props` key
 *   `mlops.features` (comma-separated), since the graph itself carries no column names.
 * Output: the positive-class probability, from a float tensor output named like `probabilities`
 * ([n, 2]: column 1; [n, 1] or [n]: itself). A ZipMap output (a sequence of maps) is refused
 * with the converter option that removes it.
 * The runtime is imported on first use: linear-only processes (and serving images of linear
 * models, which carry no node_modules) never load its native library.
 */
import type * as Ort from 'onnxruntime-node';
import type { Table } from '../data/table.js';
import { getColumn } from '../data/table.js';
import { readOnnxModelHeader } from './onnx-model-header.js';
import { InferenceInputError, ModelFormatError, showValue, type FeatureColumn, type FeatureDatatype, type ScoringModel, type TensorSignature } from './scoring-model.js';

export const ONNX_PLATFORM = 'onnxruntime_onnx';
/** Metadata key that names the columns of a single matrix input, in order. */
export const FEATURES_METADATA_KEY = 'mlops.features';
const TARGET_METADATA_KEY = 'mlops.target';
/** Rows per inference call when scoring a table, so a 1M-row hold-out never becomes one huge tensor. */
const TABLE_CHUNK_ROWS = 65_536;

type ElementType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool' | 'string';
const NUMERIC_TYPES = new Set<string>(['float32', 'float64', 'int64', 'int32', 'bool']);

interface ColumnInput {
  kind: 'column';
  input: string;
  type: ElementType;
  rank: number;
}
interface MatrixInput {
  kind: 'matrix';
  input: string;
  type: 'float32' | 'float64';
  features: string[];
}

type Runtime = typeof Ort;
let runtime: Promise<Runtime> | undefined;
function onnxRuntime(): Promise<Runtime> {
  runtime ??= import('onnxruntime-node').then((module) => ((module as unknown as { default?: Runtime }).default ?? module) as Runtime);
  return runtime;
}

export async function onnxScoringModel(file: string, bytes: Uint8Array): Promise<ScoringModel> {
  const header = readOnnxModelHeader(bytes);
  if ('problem' in header) throw new ModelFormatError(file, header.problem);
  const ort = await onnxRuntime();
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
  } catch (err) {
    const opsets = Object.entries(header.opsets).map(([domain, version]) => `${domain || 'ai.onnx'} ${version}`).join(', ');
    throw new ModelFormatError(file, `onnxruntime ${ort.env.versions.common} cannot load it (opsets ${opsets || 'none'}): ${firstLine((err as Error).message)}`);
  }
  try {
    const layout = inputLayout(file, session, header.metadata);
    const probability = probabilityOutput(file, session);
    const features: Array<{ name: string; datatype: FeatureDatatype }> =
      layout.kind === 'matrix'
        ? layout.matrix.features.map((name) => ({ name, datatype: 'FP64' }))
        : layout.columns.map((c) => ({ name: c.input, datatype: c.type === 'string' ? 'BYTES' : 'FP64' }));
    const run = async (feeds: Record<string, Ort.Tensor>, rowCount: number): Promise<Float64Array> => {
      const result = await session.run(feeds, [probability]);
      return positiveClass(file, result[probability]!, rowCount);
    };
    return {
      format: 'onnx',
      platform: ONNX_PLATFORM,
      features,
      featureIndex: new Map(features.map((f, i) => [f.name, i])),
      target: header.metadata[TARGET_METADATA_KEY],
      tensors: { inputs: session.inputMetadata.map(tensorSignature), outputs: session.outputMetadata.map(tensorSignature) },
      async scoreTable(table, rows) {
        const sources = features.map(({ name }) => tableSource(file, table, name));
        const out = new Float64Array(rows.length);
        for (let from = 0; from < rows.length; from += TABLE_CHUNK_ROWS) {
          const chunk = rows.subarray(from, Math.min(rows.length, from + TABLE_CHUNK_ROWS));
          const columns = sources.map((source) => source(chunk));
          out.set(await run(feedsOf(ort, file, layout, columns, chunk.length), chunk.length), from);
        }
        return out;
      },
      async scoreColumns(columns, rowCount) {
        const converted = features.map(({ name, datatype }, f) => requestColumn(name, datatype, columns[f]!, rowCount));
        return run(feedsOf(ort, 'request', layout, converted, rowCount), rowCount);
      },
      close: () => session.release(),
    };
  } catch (err) {
    await session.release();
    throw err;
  }
}

type Layout = { kind: 'columns'; columns: ColumnInput[] } | { kind: 'matrix'; matrix: MatrixInput };

function inputLayout(file: string, session: Ort.InferenceSession, metadata: Record<string, string>): Layout {
  const inputs = session.inputMetadata;
  if (inputs.length === 0) throw new ModelFormatError(file, 'the graph has no inputs');
  for (const input of inputs) {
    if (!input.isTensor) throw new ModelFormatError(file, `input "${input.name}" is not a tensor; expected one tensor per column or one float matrix`);
  }
  const tensors = inputs as readonly Ort.InferenceSession.TensorValueMetadata[];
  const only = tensors[0]!;
  const width = only.shape.length === 2 ? only.shape[1] : undefined;
  if (tensors.length === 1 && (metadata[FEATURES_METADATA_KEY] !== undefined || (typeof width === 'number' && width > 1))) {
    const names = (metadata[FEATURES_METADATA_KEY] ?? '').split(',').map((n) => n.trim()).filter((n) => n !== '');
    if (names.length === 0) {
      throw new ModelFormatError(file, `its only input "${only.name}" is a matrix of ${width} columns but the model does not say which columns they are: add metadata_props "${FEATURES_METADATA_KEY}" = "col1,col2,..." in column order (or convert with one input per column)`);
    }
    if (typeof width === 'number' && width !== names.length) {
      throw new ModelFormatError(file, `input "${only.name}" has ${width} columns but metadata "${FEATURES_METADATA_KEY}" names ${names.length}`);
    }
    if (only.type !== 'float32' && only.type !== 'float64') throw new ModelFormatError(file, `matrix input "${only.name}" is ${only.type}; expected float or double`);
    return { kind: 'matrix', matrix: { kind: 'matrix', input: only.name, type: only.type, features: names } };
  }
  return {
    kind: 'columns',
    columns: tensors.map((input) => {
      if (!NUMERIC_TYPES.has(input.type) && input.type !== 'string') {
        throw new ModelFormatError(file, `input "${input.name}" has element type ${input.type}; expected float, double, int64, int32, bool or string`);
      }
      const rank = input.shape.length;
      const perRow = input.shape.slice(1);
      if (rank === 0 || rank > 2 || perRow.some((size) => typeof size === 'number' && size !== 1)) {
        throw new ModelFormatError(file, `input "${input.name}" has shape [${input.shape.join(', ')}]; with several inputs each must be one column, [n, 1] or [n]`);
      }
      return { kind: 'column', input: input.name, type: input.type as ElementType, rank: rank === 0 ? 1 : rank };
    }),
  };
}

function probabilityOutput(file: string, session: Ort.InferenceSession): string {
  const outputs = session.outputMetadata;
  const names = outputs.map((o) => o.name).join(', ');
  const probable = outputs.filter((o) => /prob/i.test(o.name));
  const tensor = probable.find((o) => o.isTensor && (o.type === 'float32' || o.type === 'float64'));
  if (tensor) return tensor.name;
  if (probable.some((o) => !o.isTensor)) {
    throw new ModelFormatError(file, `its probability output "${probable[0]!.name}" is a ZipMap (a sequence of maps), which cannot be served as a tensor: convert with zipmap=False (skl2onnx: options={id(classifier): {"zipmap": False}})`);
  }
  throw new ModelFormatError(file, `no probability output: expected a float tensor named like "probabilities" ([n, 2] or [n, 1]); the outputs are ${names}`);
}

function positiveClass(file: string, tensor: Ort.Tensor, rowCount: number): Float64Array {
  const data = tensor.data as Float32Array | Float64Array;
  const [rows, width = 1, ...rest] = tensor.dims;
  if (rows !== rowCount || rest.length > 0 || (width !== 1 && width !== 2)) {
    throw new ModelFormatError(file, `probability output has shape [${tensor.dims.join(', ')}] for ${rowCount} rows; expected [${rowCount}, 2] or [${rowCount}, 1]`);
  }
  const out = new Float64Array(rowCount);
  for (let i = 0; i < rowCount; i++) out[i] = data[i * width + width - 1]!;
  return out;
}

/** A column as the model wants it: numbers (NaN = missing) or strings ("" = missing). */
type Values = Float64Array | string[];

function tableSource(file: string, table: Table, name: string): (rows: Uint32Array) => Values {
  const column = getColumn(table, name);
  if (!column) throw new ModelFormatError(file, `input "${name}" is not a column of the data (columns: ${table.columns.map((c) => c.name).join(', ')})`);
  if (column.kind === 'numeric') return (rows) => Float64Array.from(rows, (r) => column.values[r]!);
  return (rows) => Array.from(rows, (r) => {
    const code = column.codes[r]!;
    return code >= 0 ? column.dictionary[code]! : '';
  });
}

function requestColumn(name: string, datatype: FeatureDatatype, values: FeatureColumn, rowCount: number): Values {
  if (datatype === 'BYTES') {
    const out = new Array<string>(rowCount);
    for (let i = 0; i < rowCount; i++) {
      const value = values[i];
      if (typeof value === 'string') out[i] = value;
      else if (value === null) out[i] = '';
      else throw new InferenceInputError(`input "${name}": expected BYTES strings or null, got ${showValue(value)} at index ${i}`);
    }
    return out;
  }
  const out = new Float64Array(rowCount);
  for (let i = 0; i < rowCount; i++) {
    const value = values[i];
    if (typeof value === 'number' && (Number.isFinite(value) || Number.isNaN(value))) out[i] = value; // NaN: missing (binary tensors)
    else if (value === null) out[i] = Number.NaN;
    else if (typeof value === 'number') throw new InferenceInputError(`input "${name}": expected a finite number or null, got ${value} at index ${i}`);
    else throw new InferenceInputError(`input "${name}": expected FP64 numbers or null, got ${showValue(value)} at index ${i}`);
  }
  return out;
}

function feedsOf(ort: Runtime, source: string, layout: Layout, columns: Values[], rowCount: number): Record<string, Ort.Tensor> {
  if (layout.kind === 'matrix') {
    const { input, type, features } = layout.matrix;
    const width = features.length;
    const data = type === 'float32' ? new Float32Array(rowCount * width) : new Float64Array(rowCount * width);
    for (let f = 0; f < width; f++) {
      const values = columns[f]!;
      if (!(values instanceof Float64Array)) throw columnKindError(source, features[f]!, 'text', type);
      for (let i = 0; i < rowCount; i++) data[i * width + f] = values[i]!;
    }
    return { [input]: new ort.Tensor(type, data, [rowCount, width]) };
  }
  const feeds: Record<string, Ort.Tensor> = {};
  layout.columns.forEach((input, f) => {
    const dims = input.rank === 2 ? [rowCount, 1] : [rowCount];
    const values = columns[f]!;
    if (input.type === 'string') {
      if (!Array.isArray(values)) throw columnKindError(source, input.input, 'numeric', 'string');
      feeds[input.input] = new ort.Tensor('string', values, dims);
      return;
    }
    if (!(values instanceof Float64Array)) throw columnKindError(source, input.input, 'text', input.type);
    feeds[input.input] = new ort.Tensor(input.type, numericData(input, values), dims);
  });
  return feeds;
}

function numericData(input: ColumnInput, values: Float64Array): Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array {
  switch (input.type) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return values;
    case 'int64':
    case 'int32':
    case 'bool': {
      const missing = values.findIndex((v) => !Number.isInteger(v));
      if (missing >= 0) {
        throw new InferenceInputError(`input "${input.input}": the model takes ${input.type} but value ${Number.isNaN(values[missing]!) ? 'missing (null/NaN)' : values[missing]} at index ${missing} is not an integer`);
      }
      if (input.type === 'int64') return BigInt64Array.from(values, (v) => BigInt(v));
      return input.type === 'int32' ? Int32Array.from(values) : Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0));
    }
    default:
      throw new Error(`unreachable element type ${input.type}`);
  }
}

function columnKindError(source: string, name: string, got: string, wanted: string): Error {
  const message = `input "${name}": the model takes ${wanted} values but the ${source === 'request' ? 'request gives' : 'data column is'} ${got}`;
  return source === 'request' ? new InferenceInputError(message) : new ModelFormatError(source, message);
}

function tensorSignature(value: Ort.InferenceSession.ValueMetadata): TensorSignature {
  if (!value.isTensor) return { name: value.name, type: 'non-tensor', shape: [] };
  return { name: value.name, type: value.type, shape: value.shape.map((size) => (typeof size === 'number' && size >= 0 ? size : -1)) };
}

function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.length > 400 ? `${line.slice(0, 397)}...` : line;
}
