/**
 * Fuzzing inference: ≥ 10,000 requests (fixed seed) to the model server, and the same number
 * through the gateway in front of a real model server over HTTP: wrong shapes and datatypes,
 * NaN and infinities, missing, extra and repeated inputs, unknown outputs, broken JSON and binary
 * headers, huge strings and 10 MB bodies, mixed with valid requests. Invariants: never a 5xx;
 * every refusal is a 4xx whose JSON names the problem in under 2 KiB; a valid request gets
 * finite probabilities in [0, 1]; the processes stay up; and the gateway's prediction log keeps
 * only well-formed rows: features for answered requests, one featureless row per refusal.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { generateFraudTable } from '../../../src/data/generate.js';
import { allRows, type Table } from '../../../src/data/table.js';
import { mulberry32 } from '../../../src/data/seeded-random.js';
import { trainLogisticRegression } from '../../../src/train/logistic-regression.js';
import type { LinearModelArtifact } from '../../../src/train/artifact.js';
import { buildModelServerApp, startModelServer, type RunningModelServer } from '../../../src/serving/model-server.js';
import { startGateway, type RunningGateway } from '../../../src/serving/gateway.js';
import { GatewayAdminClient } from '../../../src/serving/gateway-admin-client.js';
import { readPredictionLog } from '../../../src/serving/prediction-log.js';

const CASES = Number(process.env.MLOPS_FUZZ_CASES ?? 10_000);
const SEED = 0x1f3e;
const MODEL = 'fuzzed';
const TOKEN = 'inference-fuzz-token';

let table: Table;
let artifact: LinearModelArtifact;
let features: Array<{ name: string; numeric: boolean }>;

beforeAll(() => {
  ({ table } = generateFraudTable({ rows: 500, seed: 3, fraudRate: 0.1, nullShare: 0.05 }));
  const names = table.columns.map((c) => c.name).filter((n) => n !== 'transaction_id' && n !== 'is_fraud');
  artifact = trainLogisticRegression(table, { model: MODEL, target: 'is_fraud', features: names, rows: allRows(table.rowCount), seed: 1, params: { l2: 1, maxIterations: 50, tolerance: 1e-6, minCategoryCount: 1 } });
  features = artifact.features.map((f) => ({ name: f.name, numeric: f.kind === 'numeric' }));
});

interface FuzzRequest {
  body: string | Buffer;
  headers: Record<string, string>;
  /** True when nothing was damaged: the request must be answered 200. */
  valid: boolean;
  /** Damage no server may accept (infinities, missing or unknown inputs, ...): must be a 4xx. */
  mustRefuse?: boolean;
}

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

function validInputs(random: Random, rows: number) {
  const start = Math.floor(random() * (table.rowCount - rows));
  return features.map(({ name, numeric }) => {
    const column = table.columns.find((c) => c.name === name)!;
    const data = Array.from({ length: rows }, (_, i) => {
      const r = start + i;
      if (column.kind === 'numeric') return Number.isNaN(column.values[r]!) ? null : column.values[r]!;
      return column.codes[r]! < 0 ? null : column.dictionary[column.codes[r]!]!;
    });
    return { name, shape: random() < 0.5 ? [rows] : [rows, 1], datatype: numeric ? 'FP64' : 'BYTES', data } as Record<string, unknown>;
  });
}

function fuzzRequest(random: Random): FuzzRequest {
  const rows = 1 + Math.floor(random() * 4);
  const inputs = validInputs(random, rows);
  const body: Record<string, unknown> = { inputs };
  const headers: Record<string, string> = { 'content-type': pick(random, ['application/json', 'application/json', 'text/plain', 'application/octet-stream']) };
  if (random() < 0.25) return { body: JSON.stringify(body), headers, valid: true };
  const target = pick(random, inputs);
  const numeric = target.datatype === 'FP64';
  switch (Math.floor(random() * 22)) {
    case 0: target.shape = pick(random, [[rows, 2], [], [-1], [1e9], [rows + 1], [rows, 1, 1], ['x'], [1.5]]); break;
    case 1: target.datatype = pick(random, ['FP32', 'INT64', 'BOOL', 'fp64', 'BYTES', 'FP64 ', '', 7, null].filter((d) => d !== target.datatype)); break;
    case 2: (target.data as unknown[])[0] = numeric ? pick(random, ['NaN', 'Infinity', '1.5', true, {}, [], 'abc']) : pick(random, [1, true, {}, [], 1.5]); break;
    case 3: return { body: JSON.stringify(body).replace(/"datatype":"FP64","data":\[(-?[0-9.e+-]+|null)/, '"datatype":"FP64","data":[1e999'), headers, valid: false, mustRefuse: true }; // Infinity
    case 4: return { body: JSON.stringify(body).replace(/"datatype":"FP64","data":\[(-?[0-9.e+-]+|null)/, '"datatype":"FP64","data":[-1e999'), headers, valid: false, mustRefuse: true };
    case 5: return { body: JSON.stringify(body).replace(/"data":\[(-?[0-9.e+-]+|null)/, '"data":[NaN'), headers, valid: false, mustRefuse: true };
    case 6: inputs.splice(inputs.indexOf(target), 1); return { body: JSON.stringify(body), headers, valid: false, mustRefuse: true }; // missing input
    case 7: inputs.push({ ...target, name: `${String(target.name)}_extra` }); return { body: JSON.stringify(body), headers, valid: false, mustRefuse: true };
    case 8: inputs.push({ ...target }); return { body: JSON.stringify(body), headers, valid: false, mustRefuse: true }; // repeated
    case 9: body.outputs = [{ name: pick(random, ['prob', 'probabilities', '', 'label ', 'Probability']) }]; break;
    case 10: return { body: JSON.stringify(body).slice(0, Math.floor(random() * 200)), headers, valid: false };
    case 11: return { body: pick(random, ['', 'null', '[]', '"inputs"', '{"inputs": {}}', '{"inputs": []}', '{"inputs": [null]}', '\u0000\u0001', '{"inputs":[{"name":"amount"}]}']), headers, valid: false };
    case 12: target.data = Array.from({ length: rows }, () => pick(random, ['\u202e', '💥'.repeat(50), 'x'.repeat(100_000), '\ud800'])); target.datatype = 'BYTES'; break;
    case 13: target.name = pick(random, ['', ' amount', 'AMOUNT', 'a'.repeat(5000), '__proto__', 'constructor']); break;
    case 14: body.inputs = inputs.map((i) => ({ ...i, data: (i.data as unknown[]).map((v) => [v]) })); break; // nested data, shape [n]
    case 15: target.data = (target.data as unknown[]).slice(0, -1); return { body: JSON.stringify(body), headers, valid: false, mustRefuse: true }; // shape/data mismatch
    case 16: return { body: Buffer.concat([Buffer.from(JSON.stringify(body)), Buffer.alloc(Math.floor(random() * 64), 7)]), headers: { ...headers, 'inference-header-content-length': pick(random, ['0', '-5', '999999', 'abc', String(JSON.stringify(body).length), '1e3']) }, valid: false };
    case 17: return { body: `{"inputs":${JSON.stringify(inputs)},"pad":"${'x'.repeat(10 * 1024 * 1024)}"}`, headers, valid: false }; // 10 MB
    case 18: target.parameters = { binary_data_size: pick(random, [8, -1, 1e12, 'x']) }; break;
    case 19: body.id = pick(random, [5, {}, 'x'.repeat(10_000)]); break;
    case 20: target.shape = [rows]; target.data = Array.from({ length: rows * 2 }, () => 1); break;
    default: return { body: JSON.stringify(deep(300)), headers, valid: false };
  }
  return { body: JSON.stringify(body), headers, valid: false };
}

function deep(depth: number): unknown {
  let value: unknown = { inputs: [] };
  for (let i = 0; i < depth; i++) value = { inputs: [value] };
  return value;
}

interface Tally {
  total: number;
  byStatus: Record<number, number>;
}

function judge(label: string, request: FuzzRequest, status: number, text: string, tally: Tally): void {
  tally.total++;
  tally.byStatus[status] = (tally.byStatus[status] ?? 0) + 1;
  expect(status, `${label}: ${text.slice(0, 300)}`).toBeLessThan(500);
  if (request.valid) {
    expect(status, `${label}: a valid request was refused: ${text.slice(0, 300)}`).toBe(200);
  }
  if (request.mustRefuse) expect(status, `${label}: accepted what must be refused: ${String(request.body).slice(0, 200)}`).toBeGreaterThanOrEqual(400);
  if (status === 200) {
    const outputs = (JSON.parse(text) as { outputs: Array<{ name: string; data: number[] }> }).outputs;
    const probabilities = outputs.find((o) => o.name === 'probability')?.data ?? [];
    for (const p of probabilities) expect(Number.isFinite(p) && p >= 0 && p <= 1, `${label}: probability ${p}`).toBe(true);
  } else {
    expect(status, `${label}`).toBeGreaterThanOrEqual(400);
    expect(text.length, `${label}: refusal of ${text.length} characters`).toBeLessThan(2048);
    const error = (JSON.parse(text) as { error?: unknown }).error;
    expect(typeof error === 'string' && error.length > 0, `${label}: ${text.slice(0, 200)}`).toBe(true);
  }
}

describe(`${CASES} fuzzed inference requests`, () => {
  it('to the model server: valid ones answered, every other one a 4xx naming the problem, never a 5xx', async () => {
    const app = buildModelServerApp({ model: MODEL, version: 1, artifact, artifactSha256: 'f'.repeat(64), processMetrics: false });
    const random = mulberry32(SEED);
    const tally: Tally = { total: 0, byStatus: {} };
    const started = performance.now();
    try {
      for (let i = 0; i < CASES; i++) {
        const request = fuzzRequest(random);
        const response = await app.inject({ method: 'POST', url: `/v2/models/${MODEL}/infer`, headers: request.headers, payload: request.body });
        judge(`model server case ${i}`, request, response.statusCode, response.body, tally);
      }
      expect((await app.inject({ method: 'GET', url: '/v2/health/live' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
    console.log(`inference fuzz (model server): ${tally.total} requests in ${((performance.now() - started) / 1000).toFixed(1)} s, by status ${JSON.stringify(tally.byStatus)}`);
    expect(tally.total).toBeGreaterThanOrEqual(CASES);
    expect(tally.byStatus[200]).toBeGreaterThan(CASES / 5);
  });

  describe('through the gateway', () => {
    let dataDir: string;
    let server: RunningModelServer;
    let gateway: RunningGateway;

    beforeAll(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-inference-fuzz-'));
      server = await startModelServer({ model: MODEL, version: 1, artifact, artifactSha256: 'f'.repeat(64), processMetrics: false });
      gateway = await startGateway({ dataDir, adminToken: TOKEN, flushIntervalMs: 60_000, bodyLimitBytes: 8 * 1024 * 1024 });
      const admin = new GatewayAdminClient(gateway.url, TOKEN);
      await admin.addVersion(MODEL, 1, server.url);
      await admin.setWeights(MODEL, { weights: { 1: 100 } });
    });
    afterAll(async () => {
      await gateway?.close();
      await server?.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('answers like the server, stays up, and logs only well-formed rows', async () => {
      const random = mulberry32(SEED ^ 0x9a7e);
      const tally: Tally = { total: 0, byStatus: {} };
      let answeredRows = 0;
      let refused = 0;
      const pool = new Pool(gateway.url, { connections: 8 });
      const started = performance.now();
      const queue = Array.from({ length: CASES }, (_, i) => ({ i, request: fuzzRequest(random) }));
      await Promise.all(Array.from({ length: 8 }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const { i, request } = next;
          const response = await pool.request({ method: 'POST', path: `/v2/models/${MODEL}/infer`, headers: request.headers, body: request.body });
          const text = await response.body.text();
          judge(`gateway case ${i}`, request, response.statusCode, text, tally);
          if (response.statusCode === 200) answeredRows += ((JSON.parse(text) as { outputs: Array<{ data: unknown[] }> }).outputs[0]?.data.length ?? 0);
          else refused++;
        }
      }));
      await pool.close();
      const seconds = (performance.now() - started) / 1000;
      expect((await fetch(`${gateway.url}/v2/health/live`)).status).toBe(200);
      await gateway.close(); // flushes the prediction log

      const rows = await readPredictionLog(dataDir, MODEL, 0, Date.now() + 60_000);
      const names = new Set(features.map((f) => f.name));
      let answered = 0;
      let featureless = 0;
      for (const row of rows) {
        if (row.status === 200) {
          answered++;
          expect(typeof row.score === 'number' && row.score >= 0 && row.score <= 1, `logged score ${row.score}`).toBe(true);
          for (const name of Object.keys(row.features)) expect(names.has(name), `logged unknown feature ${name}`).toBe(true);
        } else {
          featureless++;
          expect(row.features, 'a refused request logged features').toEqual({});
          expect(row.score).toBe(null);
        }
      }
      console.log(`inference fuzz (gateway): ${tally.total} requests in ${seconds.toFixed(1)} s, by status ${JSON.stringify(tally.byStatus)}; prediction log ${rows.length} rows (${answered} answered, ${featureless} refusals)`);
      expect(tally.total).toBeGreaterThanOrEqual(CASES);
      expect(answered).toBe(answeredRows);
      // Refusals by the model server are logged (one featureless row each); bodies over the
      // gateway's own limit (413) are refused at its door and never reach a model or the log.
      expect(featureless).toBe(refused - (tally.byStatus[413] ?? 0));
    });
  });
});
