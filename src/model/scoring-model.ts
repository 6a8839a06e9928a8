/**
 * The model-format port: whatever a trainer wrote (our linear JSON, an ONNX graph), evaluation
 * and serving see one thing, a model that turns table rows or request columns into P(target = 1).
 * One file per format beside this one; `open-scoring-model.ts` picks by the file's bytes.
 */
import type { Table } from '../data/table.js';

export type ModelFormat = 'linear' | 'onnx';

/** How a feature travels in an inference request: FP64 numbers or BYTES strings (null = missing). */
export type FeatureDatatype = 'FP64' | 'BYTES';

/** One input column of a request, already matched to its feature by name. */
export type FeatureColumn = readonly unknown[];

export interface ScoringModel {
  readonly format: ModelFormat;
  /** The Open Inference Protocol platform name shown in model metadata. */
  readonly platform: string;
  /** Feature names and request datatypes, in the model's input order. */
  readonly features: ReadonlyArray<{ name: string; datatype: FeatureDatatype }>;
  readonly featureIndex: ReadonlyMap<string, number>;
  /** The label column the model predicts, when the file says so. */
  readonly target?: string;
  /** The graph's own tensors (ONNX only): what an MLflow signature or a Triton config describes. */
  readonly tensors?: { inputs: TensorSignature[]; outputs: TensorSignature[] };
  /** P(target = 1) for the given rows of a table (evaluation, parity checks). */
  scoreTable(table: Table, rows: Uint32Array): Promise<Float64Array>;
  /**
   * P(target = 1) for `rowCount` request rows; `columns[i]` holds feature i's values (null = missing).
   * Throws InferenceInputError naming the feature and index of the first value of a wrong type.
   */
  scoreColumns(columns: readonly FeatureColumn[], rowCount: number): Promise<Float64Array>;
  close(): Promise<void>;
}

/** One input or output tensor of a graph: element type as onnxruntime names it, -1 for a free dimension. */
export interface TensorSignature {
  name: string;
  type: string;
  shape: number[];
}

/** A request tensor that cannot be scored; the server answers 400 with this message. */
export class InferenceInputError extends Error {
  override readonly name = 'InferenceInputError';
}

/**
 * A model file that cannot be used: not a model, an operator the runtime lacks, inputs that do
 * not match the data, no probability output. Retrying cannot help, so activities fail at once.
 */
export class ModelFormatError extends Error {
  override readonly name = 'ModelFormatError';
  constructor(readonly file: string, readonly problem: string) {
    super(`model ${file}: ${problem}`);
  }
}

/** Short, JSON-like rendering of a bad value for an error message. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
