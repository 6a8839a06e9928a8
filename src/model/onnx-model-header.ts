/**
 * The top level of an ONNX ModelProto, read straight from the protobuf bytes: enough to tell an
 * ONNX file from anything else before the runtime sees it, and to read what the runtime does not
 * expose (opsets, producer, `metadata_props` such as the feature order of a matrix input).
 * Field numbers from onnx/onnx.proto: ir_version 1, producer_name 2, producer_version 3, graph 7,
 * opset_import 8 (domain 1, version 2), metadata_props 14 (key 1, value 2).
 */
export interface OnnxModelHeader {
  irVersion: number;
  producer: string;
  /** Opset per domain; the default domain is "". */
  opsets: Record<string, number>;
  metadata: Record<string, string>;
}

/** The header, or why the bytes are not an ONNX model. */
export function readOnnxModelHeader(bytes: Uint8Array): OnnxModelHeader | { problem: string } {
  try {
    let irVersion: number | undefined;
    let producer = '';
    let producerVersion = '';
    let hasGraph = false;
    const opsets: Record<string, number> = {};
    const metadata: Record<string, string> = {};
    for (const field of fields(bytes, 0, bytes.length)) {
      if (field.number === 1 && field.wire === 0) irVersion = field.value;
      else if (field.number === 2 && field.wire === 2) producer = text(bytes, field);
      else if (field.number === 3 && field.wire === 2) producerVersion = text(bytes, field);
      else if (field.number === 7 && field.wire === 2) hasGraph = true;
      else if (field.number === 8 && field.wire === 2) {
        let domain = '';
        let version = 0;
        for (const inner of fields(bytes, field.start, field.end)) {
          if (inner.number === 1 && inner.wire === 2) domain = text(bytes, inner);
          else if (inner.number === 2 && inner.wire === 0) version = inner.value;
        }
        opsets[domain] = version;
      } else if (field.number === 14 && field.wire === 2) {
        let key = '';
        let value = '';
        for (const inner of fields(bytes, field.start, field.end)) {
          if (inner.number === 1 && inner.wire === 2) key = text(bytes, inner);
          else if (inner.number === 2 && inner.wire === 2) value = text(bytes, inner);
        }
        metadata[key] = value;
      }
    }
    if (irVersion === undefined || !hasGraph) return { problem: 'not an ONNX model (no ir_version or graph in the file)' };
    return { irVersion, producer: producerVersion ? `${producer} ${producerVersion}` : producer, opsets, metadata };
  } catch (err) {
    return { problem: `not an ONNX model (${(err as Error).message})` };
  }
}

interface Field {
  number: number;
  wire: number;
  /** The varint's value (wire type 0). */
  value: number;
  /** The payload's byte range (wire type 2). */
  start: number;
  end: number;
}

function* fields(bytes: Uint8Array, from: number, to: number): Generator<Field> {
  let at = from;
  while (at < to) {
    const [tag, afterTag] = varint(bytes, at, to);
    const number = Math.floor(tag / 8);
    const wire = tag % 8;
    if (number === 0) throw new Error(`field number 0 at byte ${at}`);
    at = afterTag;
    if (wire === 0) {
      const [value, next] = varint(bytes, at, to);
      yield { number, wire, value, start: at, end: next };
      at = next;
    } else if (wire === 1 || wire === 5) {
      at += wire === 1 ? 8 : 4;
    } else if (wire === 2) {
      const [length, start] = varint(bytes, at, to);
      const end = start + length;
      if (end > to) throw new Error(`field ${number} runs past the end of the data`);
      yield { number, wire, value: length, start, end };
      at = end;
    } else {
      throw new Error(`unsupported protobuf wire type ${wire} at byte ${at}`);
    }
    if (at > to) throw new Error('truncated');
  }
}

function varint(bytes: Uint8Array, at: number, to: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = at; i < to && i < at + 10; i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return [value, i + 1];
    scale *= 128;
  }
  throw new Error(`truncated varint at byte ${at}`);
}

const decoder = new TextDecoder('utf-8', { fatal: false });
function text(bytes: Uint8Array, field: Field): string {
  return decoder.decode(bytes.subarray(field.start, field.end));
}
