/**
 * What the gateway reads out of Open Inference Protocol bodies for its log and stats: the
 * request's feature rows (one feature per input, by name) and the response's `probability`
 * output. Bodies are forwarded as bytes; this parsing happens after the answer is sent.
 */
import type { PredictionRecord } from './gateway-contract.js';
import { parseHeaderLength, resolveBinaryTensors, splitInferenceBody, type WireTensor } from './oip-binary.js';

export type FeatureRow = PredictionRecord['features'];

/** Inputs wider than this per row (images, embeddings) are not logged as features. */
const MAX_COLUMNS_PER_INPUT = 64;
export const SCORE_OUTPUT = 'probability';

interface Tensor {
  name?: unknown;
  shape?: unknown;
  data?: unknown;
}

/**
 * One feature object per row. An input of shape [n] or [n, 1] is feature `<name>`; one of
 * shape [n, k] gives `<name>_0` .. `<name>_<k-1>`. A body that is not OIP gives one empty row.
 */
export function featureRowsOf(body: unknown): FeatureRow[] {
  const inputs = (body as { inputs?: unknown } | null)?.inputs;
  if (!Array.isArray(inputs)) return [{}];
  const tensors = inputs.map((input: Tensor) => ({ input, data: flatData(input.data), shape: shapeOf(input) }));
  // Rows the data really holds: a claimed shape ([1e9]) must not make the gateway allocate rows.
  const rowCount = Math.max(1, ...tensors.map(({ data, shape }) => Math.min(shape[0] ?? data.length, data.length)));
  const rows: FeatureRow[] = Array.from({ length: rowCount }, () => ({}));
  for (const { input, data, shape } of tensors) {
    if (typeof input.name !== 'string') continue;
    const columns = shape.slice(1).reduce((product, size) => product * size, 1);
    if (columns > MAX_COLUMNS_PER_INPUT) continue;
    for (let row = 0; row < rowCount; row++) {
      for (let column = 0; column < columns; column++) {
        const name = columns === 1 ? input.name : `${input.name}_${column}`;
        rows[row]![name] = featureValue(data[row * columns + column]);
      }
    }
  }
  return rows;
}

/** The positive-class probability per row: column 1 of an [n, 2] output, else its only column. */
export function scoresOf(body: unknown, rowCount: number): (number | null)[] {
  const outputs = (body as { outputs?: unknown } | null)?.outputs;
  const output = Array.isArray(outputs) ? (outputs as Tensor[]).find((tensor) => tensor?.name === SCORE_OUTPUT) : undefined;
  const data = output ? flatData(output.data) : [];
  const columns = output ? Math.max(1, shapeOf(output).slice(1).reduce((product, size) => product * size, 1)) : 1;
  const pick = columns === 2 ? 1 : 0;
  return Array.from({ length: rowCount }, (_, row) => {
    const value = data[row * columns + pick];
    return typeof value === 'number' && Number.isFinite(value) ? value : null;
  });
}

/**
 * A request or response body as JSON, its binary tensors (if any) decoded into `data` so a
 * binary body reads like the same JSON one. Never throws: a body that is not JSON is
 * undefined, and one whose binary part does not decode keeps its tensors without data.
 */
export function readOipBody(body: Buffer, headerLength: string | undefined, tensors: 'inputs' | 'outputs'): unknown {
  if (body.length === 0) return undefined;
  let parsed: { header: unknown; binary: Buffer | undefined };
  try {
    parsed = splitInferenceBody(body, parseHeaderLength(headerLength));
  } catch {
    return undefined;
  }
  const { header, binary } = parsed;
  const list = (header as Record<string, unknown> | null)?.[tensors];
  if (binary === undefined || !Array.isArray(list)) return header;
  try {
    return { ...(header as object), [tensors]: resolveBinaryTensors(list as WireTensor[], binary, tensors === 'inputs' ? 'input' : 'output') };
  } catch {
    return header;
  }
}

/** The `error` of an OIP error body, if there is one. */
export function errorMessageOf(body: unknown): string | undefined {
  const error = (body as { error?: unknown } | null)?.error;
  return typeof error === 'string' ? error : error === undefined ? undefined : JSON.stringify(error);
}

function shapeOf(tensor: Tensor): number[] {
  return Array.isArray(tensor.shape) && tensor.shape.every((size) => Number.isInteger(size) && size >= 0) ? (tensor.shape as number[]) : [];
}

function flatData(data: unknown): unknown[] {
  return Array.isArray(data) ? (data.some(Array.isArray) ? data.flat(Infinity) : data) : [];
}

function featureValue(value: unknown): FeatureRow[string] {
  // NaN only arrives in binary FP64, where it means missing: the null a JSON body would carry.
  if (typeof value === 'number') return Number.isNaN(value) ? null : value;
  return typeof value === 'string' || typeof value === 'boolean' ? value : null;
}
