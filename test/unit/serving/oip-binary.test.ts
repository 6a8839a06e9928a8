import { describe, expect, it } from 'vitest';
import { InferenceInputError } from '../../../src/model/scoring-model.js';
import { featureRowsOf, readOipBody, scoresOf } from '../../../src/serving/gateway-oip.js';
import {
  binaryOutputNames,
  decodeTensorBytes,
  encodeBinaryResponse,
  encodeTensorBytes,
  parseHeaderLength,
  resolveBinaryTensors,
  splitInferenceBody,
  type WireTensor,
} from '../../../src/serving/oip-binary.js';

// ------------------------------------------------------------------ encoders, as tritonclient writes them

function fp64(values: number[]): Buffer {
  const bytes = Buffer.alloc(values.length * 8);
  values.forEach((value, i) => bytes.writeDoubleLE(value, i * 8));
  return bytes;
}

function bytesElements(values: string[]): Buffer {
  return Buffer.concat(values.flatMap((value) => {
    const data = Buffer.from(value, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32LE(data.length);
    return [length, data];
  }));
}

/** A request body: JSON header + binary parts, and the header length to send with it. */
function binaryBody(header: unknown, parts: Buffer[]): { body: Buffer; headerLength: number } {
  const json = Buffer.from(JSON.stringify(header));
  return { body: Buffer.concat([json, ...parts]), headerLength: json.length };
}

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InferenceInputError);
    return (error as Error).message;
  }
  throw new Error('expected an InferenceInputError');
}

const amount = fp64([12.5, -3, Number.MAX_VALUE]);
const region = bytesElements(['north', '', 'süd']);
const header = {
  inputs: [
    { name: 'amount', shape: [3, 1], datatype: 'FP64', parameters: { binary_data_size: amount.length } },
    { name: 'flag', shape: [3], datatype: 'BOOL', data: [true, false, true] },
    { name: 'region', shape: [3], datatype: 'BYTES', parameters: { binary_data_size: region.length } },
  ],
};

describe('splitInferenceBody and resolveBinaryTensors', () => {
  it('decodes binary inputs in input order into the arrays a JSON body would hold', () => {
    const { body, headerLength } = binaryBody(header, [amount, region]);
    const split = splitInferenceBody(body, parseHeaderLength(String(headerLength)));
    expect(split.header).toEqual(header);
    const inputs = resolveBinaryTensors((split.header as typeof header).inputs as WireTensor[], split.binary);
    expect(inputs.map((input) => input.data)).toEqual([[12.5, -3, Number.MAX_VALUE], [true, false, true], ['north', '', 'süd']]);
    expect(inputs[0]!.shape).toEqual([3, 1]);
  });

  it('reads a plain JSON body when there is no header length', () => {
    expect(splitInferenceBody(Buffer.from('{"inputs":[]}'), undefined)).toEqual({ header: { inputs: [] }, binary: undefined });
    expect(parseHeaderLength(undefined)).toBeUndefined();
  });

  it('decodes every fixed-size datatype little-endian', () => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64LE(-5n);
    expect(decodeTensorBytes('x', 'INT64', buffer, 1)).toEqual([-5]);
    buffer.writeInt32LE(7, 0);
    buffer.writeInt32LE(-8, 4);
    expect(decodeTensorBytes('x', 'INT32', buffer, 2)).toEqual([7, -8]);
    buffer.writeFloatLE(0.5, 0);
    buffer.writeFloatLE(1.25, 4);
    expect(decodeTensorBytes('x', 'FP32', buffer, 2)).toEqual([0.5, 1.25]);
    expect(decodeTensorBytes('x', 'BOOL', Buffer.from([0, 1, 2]), 3)).toEqual([false, true, true]);
  });

  const malformed: Array<[string, () => unknown, string | RegExp]> = [
    ['a header length larger than the body', () => splitInferenceBody(Buffer.from('{"inputs":[]}'), 100), 'Inference-Header-Content-Length is 100 but the body holds only 13 bytes'],
    ['a header length that is not a number', () => parseHeaderLength('12a'), 'Inference-Header-Content-Length: expected a byte count, got "12a"'],
    ['a header that is not JSON', () => splitInferenceBody(Buffer.from('{"inputs"xx'), 9), /^invalid JSON body header: /],
    [
      'FP64 sizes not matching the shape',
      () => resolveBinaryTensors([{ name: 'amount', shape: [4], datatype: 'FP64', parameters: { binary_data_size: 24 } }], amount),
      'input "amount": shape says 4 FP64 values (32 bytes) but binary_data_size is 24',
    ],
    [
      'a truncated BYTES element',
      () => resolveBinaryTensors([{ name: 'region', shape: [3], datatype: 'BYTES', parameters: { binary_data_size: region.length - 2 } }], region.subarray(0, region.length - 2)),
      'input "region": BYTES element 2 is truncated: its length is 4 but only 2 bytes remain',
    ],
    [
      'a BYTES element without its length',
      () => resolveBinaryTensors([{ name: 'region', shape: [2], datatype: 'BYTES', parameters: { binary_data_size: 11 } }], Buffer.concat([bytesElements(['north']), Buffer.from([1, 0])])),
      'input "region": BYTES element 1 is truncated: no 4-byte length at byte 9 of 11',
    ],
    [
      'more BYTES than the shape says',
      () => resolveBinaryTensors([{ name: 'region', shape: [2], datatype: 'BYTES', parameters: { binary_data_size: region.length } }], region),
      'input "region": shape says 2 BYTES elements, which take 13 bytes, but binary_data_size is 21',
    ],
    [
      'BYTES that are not UTF-8',
      () => resolveBinaryTensors([{ name: 'region', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: 6 } }], Buffer.from([2, 0, 0, 0, 0xc3, 0x28])),
      'input "region": BYTES element 0 is not valid UTF-8',
    ],
    [
      'a binary_data_size beyond the binary part',
      () => resolveBinaryTensors([{ name: 'amount', shape: [3], datatype: 'FP64', parameters: { binary_data_size: 32 } }], amount),
      'input "amount": binary_data_size 32 reaches byte 32 but the binary data holds only 24 bytes',
    ],
    [
      'bytes left over after the last tensor',
      () => resolveBinaryTensors([{ name: 'amount', shape: [2], datatype: 'FP64', parameters: { binary_data_size: 16 } }], amount),
      "the binary data holds 24 bytes but the tensors' binary_data_size add up to 16",
    ],
    [
      'binary_data_size without a binary part',
      () => resolveBinaryTensors([{ name: 'amount', shape: [3], datatype: 'FP64', parameters: { binary_data_size: 24 } }], undefined),
      'input "amount": parameters.binary_data_size needs binary data after the JSON header (the Inference-Header-Content-Length header is missing)',
    ],
    [
      'both data and binary_data_size',
      () => resolveBinaryTensors([{ name: 'amount', shape: [1], datatype: 'FP64', data: [1], parameters: { binary_data_size: 8 } }], fp64([1])),
      'input "amount": has both data and parameters.binary_data_size',
    ],
    [
      'a binary_data_size that is not a byte count',
      () => resolveBinaryTensors([{ name: 'amount', shape: [1], datatype: 'FP64', parameters: { binary_data_size: -8 } }], fp64([1])),
      'input "amount": parameters.binary_data_size must be a byte count, got -8',
    ],
    [
      'a datatype with no binary form here',
      () => resolveBinaryTensors([{ name: 'pixels', shape: [2], datatype: 'UINT8', parameters: { binary_data_size: 2 } }], Buffer.from([1, 2])),
      'input "pixels": datatype "UINT8" is not supported as binary data (FP64, FP32, INT64, INT32, BOOL, BYTES)',
    ],
  ];
  it.each(malformed)('refuses %s, naming the problem', (_what, run, message) => {
    expect(errorOf(run)).toMatch(message);
  });
});

describe('binary responses', () => {
  const response = {
    model_name: 'fraud',
    model_version: '1',
    id: 'r1',
    outputs: [
      { name: 'probability', shape: [2], datatype: 'FP64', data: [0.125, 0.9] },
      { name: 'label', shape: [2], datatype: 'INT64', data: [0, 1] },
    ],
  };

  it('moves the named outputs behind the JSON header, with binary_data_size', () => {
    const { body, headerLength } = encodeBinaryResponse(response, new Set(['probability']));
    const json = JSON.parse(body.subarray(0, headerLength).toString('utf8'));
    expect(json.outputs).toEqual([
      { name: 'probability', shape: [2], datatype: 'FP64', parameters: { binary_data_size: 16 } },
      { name: 'label', shape: [2], datatype: 'INT64', data: [0, 1] },
    ]);
    expect(body.subarray(headerLength)).toEqual(fp64([0.125, 0.9]));
  });

  it('encodes INT64 little-endian', () => {
    expect(encodeTensorBytes('INT64', [1, 0])).toEqual(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  });

  it('follows the request-wide default unless an output says otherwise', () => {
    const all = ['probability', 'label'];
    expect([...binaryOutputNames({ parameters: { binary_data_output: true } }, all)]).toEqual(all);
    expect([...binaryOutputNames({ parameters: { binary_data_output: true }, outputs: [{ name: 'label', parameters: { binary_data: false } }] }, all)]).toEqual(['probability']);
    expect([...binaryOutputNames({ outputs: [{ name: 'label', parameters: { binary_data: true } }, { name: 'probability' }] }, all)]).toEqual(['label']);
    expect(binaryOutputNames({}, all).size).toBe(0);
  });

  it('round-trips through the gateway reader: scores and rows equal those of the JSON bodies', () => {
    const encoded = encodeBinaryResponse(response, new Set(['probability', 'label']));
    const read = readOipBody(encoded.body, String(encoded.headerLength), 'outputs');
    expect(scoresOf(read, 2)).toEqual([0.125, 0.9]);
    expect(scoresOf(readOipBody(Buffer.from(JSON.stringify(response)), undefined, 'outputs'), 2)).toEqual([0.125, 0.9]);

    const request = binaryBody(header, [amount, region]);
    const jsonRequest = { inputs: [
      { name: 'amount', shape: [3, 1], datatype: 'FP64', data: [12.5, -3, Number.MAX_VALUE] },
      header.inputs[1],
      { name: 'region', shape: [3], datatype: 'BYTES', data: ['north', '', 'süd'] },
    ] };
    const rows = featureRowsOf(readOipBody(request.body, String(request.headerLength), 'inputs'));
    expect(rows).toEqual(featureRowsOf(readOipBody(Buffer.from(JSON.stringify(jsonRequest)), undefined, 'inputs')));
    expect(rows[2]).toEqual({ amount: Number.MAX_VALUE, flag: true, region: 'süd' });
  });

  it('logs a binary NaN as the missing value a JSON body sends as null', () => {
    const nan = fp64([Number.NaN]);
    const request = binaryBody({ inputs: [{ name: 'amount', shape: [1], datatype: 'FP64', parameters: { binary_data_size: 8 } }] }, [nan]);
    expect(featureRowsOf(readOipBody(request.body, String(request.headerLength), 'inputs'))).toEqual([{ amount: null }]);
  });

  it('never throws on a malformed body: no JSON is undefined, a bad binary part keeps the header', () => {
    expect(readOipBody(Buffer.from('nope'), undefined, 'inputs')).toBeUndefined();
    expect(readOipBody(Buffer.from('{}'), '99', 'inputs')).toBeUndefined();
    const bad = binaryBody(header, [amount]);
    expect(readOipBody(bad.body, String(bad.headerLength), 'inputs')).toEqual(header);
  });
});
