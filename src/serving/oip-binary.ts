/**
 * The Open Inference Protocol's binary tensor data extension (as Triton and KServe define it),
 * as pure functions over Buffers. A body whose request carries `Inference-Header-Content-Length:
 * n` is n bytes of JSON header followed by raw tensor bytes; each tensor with
 * `parameters.binary_data_size` takes that many bytes, in tensor order. Numbers are
 * little-endian; BYTES elements are each a 4-byte little-endian length and then the bytes.
 *
 * Decoded tensors hold the same plain JS arrays a JSON body would (numbers, booleans, strings),
 * so everything after decoding cannot tell the two encodings apart.
 */
import { InferenceInputError } from '../model/scoring-model.js';

export const HEADER_LENGTH_HEADER = 'inference-header-content-length';
export const BINARY_EXTENSION = 'binary_tensor_data';

/** A tensor of a request or response as it arrives: `data` is absent when its bytes are binary. */
export interface WireTensor {
  name: string;
  shape: number[];
  datatype: string;
  data?: unknown[];
  parameters?: Record<string, unknown>;
}

const ELEMENT_SIZE: Record<string, number> = { FP64: 8, FP32: 4, INT64: 8, INT32: 4, BOOL: 1 };

/** The header's value as a byte count; undefined when there is no header (a plain JSON body). */
export function parseHeaderLength(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text === '') return undefined;
  if (!/^\d+$/.test(text.trim())) throw new InferenceInputError(`Inference-Header-Content-Length: expected a byte count, got ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text.trim());
}

/** Splits a body into its parsed JSON header and the binary part after it (undefined without one). */
export function splitInferenceBody(body: Buffer, headerLength: number | undefined): { header: unknown; binary: Buffer | undefined } {
  if (headerLength !== undefined && headerLength > body.length) {
    throw new InferenceInputError(`Inference-Header-Content-Length is ${headerLength} but the body holds only ${body.length} bytes`);
  }
  const json = headerLength === undefined ? body : body.subarray(0, headerLength);
  let header: unknown;
  try {
    header = JSON.parse(json.toString('utf8'));
  } catch (error) {
    throw new InferenceInputError(`invalid JSON body${headerLength === undefined ? '' : ' header'}: ${(error as Error).message}`);
  }
  return { header, binary: headerLength === undefined ? undefined : body.subarray(headerLength) };
}

/**
 * The tensors with their binary parts turned into `data`, in order. Throws naming the tensor
 * when sizes, shapes and bytes disagree, and when bytes are left over or missing.
 */
export function resolveBinaryTensors<T extends WireTensor>(tensors: readonly T[], binary: Buffer | undefined, kind: 'input' | 'output' = 'input'): T[] {
  let offset = 0;
  const resolved = tensors.map((tensor) => {
    const size = tensor.parameters?.binary_data_size;
    if (size === undefined) return tensor;
    const label = `${kind} ${JSON.stringify(tensor.name)}`;
    if (!Number.isSafeInteger(size) || (size as number) < 0) throw new InferenceInputError(`${label}: parameters.binary_data_size must be a byte count, got ${JSON.stringify(size)}`);
    if (tensor.data !== undefined) throw new InferenceInputError(`${label}: has both data and parameters.binary_data_size`);
    if (binary === undefined) {
      throw new InferenceInputError(`${label}: parameters.binary_data_size needs binary data after the JSON header (the Inference-Header-Content-Length header is missing)`);
    }
    const end = offset + (size as number);
    if (end > binary.length) {
      throw new InferenceInputError(`${label}: binary_data_size ${size as number} reaches byte ${end} but the binary data holds only ${binary.length} bytes`);
    }
    const data = decodeTensorBytes(label, tensor.datatype, binary.subarray(offset, end), elementCount(label, tensor.shape));
    offset = end;
    return { ...tensor, data };
  });
  if (binary !== undefined && offset !== binary.length) {
    throw new InferenceInputError(`the binary data holds ${binary.length} bytes but the tensors' binary_data_size add up to ${offset}`);
  }
  return resolved;
}

/** `count` elements of `datatype` from exactly these bytes; `label` names the tensor in errors. */
export function decodeTensorBytes(label: string, datatype: string, bytes: Buffer, count: number): unknown[] {
  if (datatype === 'BYTES') return decodeBytesElements(label, bytes, count);
  const size = ELEMENT_SIZE[datatype];
  if (size === undefined) throw new InferenceInputError(`${label}: datatype ${JSON.stringify(datatype)} is not supported as binary data (FP64, FP32, INT64, INT32, BOOL, BYTES)`);
  if (bytes.length !== count * size) {
    throw new InferenceInputError(`${label}: shape says ${count} ${datatype} values (${count * size} bytes) but binary_data_size is ${bytes.length}`);
  }
  const values = new Array<unknown>(count);
  for (let i = 0; i < count; i++) {
    const at = i * size;
    if (datatype === 'FP64') values[i] = bytes.readDoubleLE(at);
    else if (datatype === 'FP32') values[i] = bytes.readFloatLE(at);
    else if (datatype === 'INT64') values[i] = Number(bytes.readBigInt64LE(at));
    else if (datatype === 'INT32') values[i] = bytes.readInt32LE(at);
    else values[i] = bytes[at] !== 0;
  }
  return values;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeBytesElements(label: string, bytes: Buffer, count: number): string[] {
  const values = new Array<string>(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.length) throw new InferenceInputError(`${label}: BYTES element ${i} is truncated: no 4-byte length at byte ${at} of ${bytes.length}`);
    const length = bytes.readUInt32LE(at);
    at += 4;
    if (at + length > bytes.length) throw new InferenceInputError(`${label}: BYTES element ${i} is truncated: its length is ${length} but only ${bytes.length - at} bytes remain`);
    try {
      values[i] = utf8.decode(bytes.subarray(at, at + length));
    } catch {
      throw new InferenceInputError(`${label}: BYTES element ${i} is not valid UTF-8`);
    }
    at += length;
  }
  if (at !== bytes.length) throw new InferenceInputError(`${label}: shape says ${count} BYTES elements, which take ${at} bytes, but binary_data_size is ${bytes.length}`);
  return values;
}

function elementCount(label: string, shape: unknown): number {
  if (!Array.isArray(shape) || !shape.every((size) => Number.isSafeInteger(size) && size >= 0)) {
    throw new InferenceInputError(`${label}: shape must be a list of sizes, got ${JSON.stringify(shape)}`);
  }
  return shape.reduce((product: number, size: number) => product * size, 1);
}

/** Little-endian bytes of FP64 or INT64 values (the datatypes this server answers with). */
export function encodeTensorBytes(datatype: 'FP64' | 'INT64', values: ArrayLike<number>): Buffer {
  const bytes = Buffer.allocUnsafe(values.length * 8);
  for (let i = 0; i < values.length; i++) {
    if (datatype === 'FP64') bytes.writeDoubleLE(values[i]!, i * 8);
    else bytes.writeBigInt64LE(BigInt(values[i]!), i * 8);
  }
  return bytes;
}

/**
 * Which outputs go back as binary: a request-wide `binary_data_output` sets the default, and an
 * output's own `binary_data` overrides it (Triton's rule).
 */
export function binaryOutputNames(request: {
  outputs?: Array<{ name: string; parameters?: Record<string, unknown> }>;
  parameters?: Record<string, unknown>;
}, allOutputs: readonly string[]): Set<string> {
  const byDefault = request.parameters?.binary_data_output === true;
  const names = new Set<string>();
  for (const name of allOutputs) {
    const own = request.outputs?.find((output) => output.name === name)?.parameters?.binary_data;
    if (own === true || (own === undefined && byDefault)) names.add(name);
  }
  return names;
}

/**
 * A response with the named outputs moved into the binary part: each loses `data` and gains
 * `parameters.binary_data_size`. Returns the body and the JSON header's length in bytes.
 */
export function encodeBinaryResponse(
  response: { outputs: ReadonlyArray<{ name: string; datatype: string; data: readonly number[]; parameters?: Record<string, unknown> }> },
  binaryNames: ReadonlySet<string>,
): { body: Buffer; headerLength: number } {
  const parts: Buffer[] = [];
  const outputs = response.outputs.map((output) => {
    if (!binaryNames.has(output.name)) return output;
    if (output.datatype !== 'FP64' && output.datatype !== 'INT64') throw new Error(`output "${output.name}": cannot encode ${output.datatype} as binary`);
    const bytes = encodeTensorBytes(output.datatype, output.data);
    parts.push(bytes);
    const { data: _data, ...rest } = output;
    return { ...rest, parameters: { ...output.parameters, binary_data_size: bytes.length } };
  });
  const header = Buffer.from(JSON.stringify({ ...response, outputs }), 'utf8');
  return { body: Buffer.concat([header, ...parts]), headerLength: header.length };
}
