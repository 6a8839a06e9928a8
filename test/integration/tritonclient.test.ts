/**
 * The reference Open Inference Protocol client, tritonclient[http] (Python), against our model
 * server and through the gateway: server and model metadata, readiness, and inference with JSON
 * tensors and with the binary tensor data extension. Probabilities must equal what our JSON
 * API answers for the same rows, bit for bit (FP64 both ways), and the gateway's prediction log
 * and stats must see the rows of binary requests as they see JSON ones.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFraudTable } from '../../src/data/generate.js';
import type { Table } from '../../src/data/table.js';
import type { ModelStats, PredictionRecord } from '../../src/serving/gateway-contract.js';
import { startGateway, type RunningGateway } from '../../src/serving/gateway.js';
import { startModelServer, type RunningModelServer } from '../../src/serving/model-server.js';
import { readPredictionLog } from '../../src/serving/prediction-log.js';
import type { LinearModelArtifact } from '../../src/train/artifact.js';
import { trainLogisticRegression } from '../../src/train/logistic-regression.js';

const root = path.resolve(import.meta.dirname, '../..');
const PYTHON = path.join(root, '.tools/mlflow/bin/python');
const DRIVER = path.join(root, 'test/support/triton-client.py');
const MODEL = 'fraud';
const TOKEN = 'tritonclient-admin-token';
const FEATURES = ['amount', 'merchant_category', 'region', 'device_type', 'card_present', 'account_age_days', 'distance_from_home_km'];

const pythonMissing = !existsSync(PYTHON);
if (pythonMissing) console.warn(`SKIPPING test/integration/tritonclient.test.ts: ${PYTHON} is missing (scripts/mlflow install builds it with tritonclient[http])`);

type Row = Record<string, number | string | null>;
interface Inference {
  probability: number[];
  label: number[];
  output_parameters: Record<string, Record<string, unknown>>;
  model_version: string;
}
interface DriverResult {
  server_metadata: { name: string; version: string; extensions: string[] };
  model_metadata: { name: string; versions: string[]; inputs: Array<{ name: string; datatype: string }>; outputs: Array<{ name: string }> };
  server_live: boolean;
  server_ready: boolean;
  model_ready: boolean;
  json: Inference | null;
  binary: Inference;
  binary_default: Inference;
}

describe.skipIf(pythonMissing)('tritonclient[http] against the model server and the gateway', () => {
  let dir: string;
  let table: Table;
  let artifact: LinearModelArtifact;
  const servers: RunningModelServer[] = [];
  let gateway: RunningGateway;
  /** Rows without missing values (JSON cannot carry NaN), and rows with missing numbers. */
  let rows: Row[];
  let rowsWithMissing: Row[];
  const started = Date.now();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mlops-tritonclient-'));
    table = generateFraudTable({ rows: 2000, seed: 5, fraudRate: 0.2, nullShare: 0.1 }).table;
    artifact = trainLogisticRegression(table, {
      model: MODEL, target: 'is_fraud', features: FEATURES, rows: Uint32Array.from({ length: table.rowCount }, (_, i) => i), seed: 1,
      params: { l2: 1, maxIterations: 200, tolerance: 1e-6, minCategoryCount: 1 },
    });
    const all = Array.from({ length: table.rowCount }, (_, i) => rowOf(i));
    rows = all.filter((row) => Object.values(row).every((value) => value !== null)).slice(0, 25);
    rowsWithMissing = all.filter((row) => isMissingOnlyNumbers(row)).slice(0, 10);
    expect(rowsWithMissing.length).toBeGreaterThan(0);
    // Version 1 takes no traffic (reachable pinned), version 2 all of it.
    for (const version of [1, 2]) {
      servers.push(await startModelServer({ model: MODEL, version, artifact, artifactSha256: `sha-${version}`, processMetrics: false }));
    }
    gateway = await startGateway({ dataDir: dir, adminToken: TOKEN, flushIntervalMs: 100 });
    for (const [index, server] of servers.entries()) await admin('PUT', `/admin/models/${MODEL}/versions/${index + 1}`, { url: server.url });
    await admin('PUT', `/admin/models/${MODEL}/weights`, { weights: { 1: 0, 2: 100 } });
  });

  afterAll(async () => {
    await gateway?.close();
    await Promise.all(servers.map((server) => server.close()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // ------------------------------------------------------------------ helpers

  function rowOf(index: number): Row {
    const row: Row = {};
    for (const name of FEATURES) {
      const column = table.columns.find((c) => c.name === name)!;
      if (column.kind === 'numeric') row[name] = Number.isNaN(column.values[index]!) ? null : column.values[index]!;
      else row[name] = column.codes[index]! < 0 ? null : column.dictionary[column.codes[index]!]!;
    }
    return row;
  }

  function isMissingOnlyNumbers(row: Row): boolean {
    const missing = FEATURES.filter((name) => row[name] === null);
    return missing.length > 0 && missing.every((name) => artifact.features.find((f) => f.name === name)!.kind === 'numeric');
  }

  async function admin(method: string, requestPath: string, body: unknown): Promise<void> {
    const answer = await fetch(`${gateway.url}${requestPath}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (answer.status !== 200) throw new Error(`${method} ${requestPath}: ${answer.status} ${await answer.text()}`);
  }

  /** Our own JSON API's probabilities for these rows (null = missing), straight from a model server. */
  async function jsonProbabilities(url: string, batch: Row[]): Promise<number[]> {
    const inputs = artifact.features.map((feature) => ({
      name: feature.name, datatype: feature.kind === 'numeric' ? 'FP64' : 'BYTES', shape: [batch.length], data: batch.map((row) => row[feature.name]),
    }));
    const answer = await fetch(`${url}/v2/models/${MODEL}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs }) });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { outputs: Array<{ name: string; data: number[] }> };
    return body.outputs.find((output) => output.name === 'probability')!.data;
  }

  async function drive(url: string, batch: Row[], prefix: string): Promise<DriverResult> {
    const rowsFile = path.join(dir, `${prefix}.json`);
    await writeFile(rowsFile, JSON.stringify(batch));
    const { stdout } = await promisify(execFile)(PYTHON, [DRIVER, '--url', new URL(url).host, '--model', MODEL, '--rows', rowsFile, '--request-id-prefix', prefix], { timeout: 60_000 });
    return JSON.parse(stdout) as DriverResult;
  }

  function expectSameAnswers(result: DriverResult, probabilities: number[]): void {
    const labels = probabilities.map((p) => (p >= 0.5 ? 1 : 0));
    for (const call of [result.json!, result.binary, result.binary_default]) {
      expect(call.probability.flat()).toEqual(probabilities);
      expect(call.label.flat()).toEqual(labels);
    }
    expect(result.json!.output_parameters.probability).not.toHaveProperty('binary_data_size');
    expect(result.binary.output_parameters.probability).toEqual({ binary_data_size: 8 * probabilities.length });
    expect(result.binary_default.output_parameters.label).toEqual({ binary_data_size: 8 * probabilities.length });
  }

  function expectMetadata(result: DriverResult, version: string): void {
    expect(result.server_metadata.extensions).toContain('binary_tensor_data');
    expect(result.server_live && result.server_ready && result.model_ready).toBe(true);
    expect(result.model_metadata.name).toBe(MODEL);
    expect(result.model_metadata.versions).toEqual([version]);
    expect(result.model_metadata.inputs.map((input) => [input.name, input.datatype])).toEqual(
      artifact.features.map((feature) => [feature.name, feature.kind === 'numeric' ? 'FP64' : 'BYTES']),
    );
    expect(result.model_metadata.outputs.map((output) => output.name)).toEqual(['probability', 'label']);
  }

  // ------------------------------------------------------------------ tests

  it('the model server: metadata, readiness, and JSON and binary inference equal to our JSON API', async () => {
    const result = await drive(servers[0]!.url, rows, 'server');
    expect(result.server_metadata.name).toBe('mlops-model-server');
    expectMetadata(result, '1');
    expectSameAnswers(result, await jsonProbabilities(servers[0]!.url, rows));
  });

  it('binary FP64 NaN is a missing number, as null is in JSON', async () => {
    const result = await drive(servers[0]!.url, rowsWithMissing, 'server-missing');
    expect(result.json).toBeNull();
    const probabilities = await jsonProbabilities(servers[0]!.url, rowsWithMissing);
    expect(result.binary.probability.flat()).toEqual(probabilities);
    expect(result.binary_default.probability).toEqual(probabilities);
  });

  it('the gateway: metadata from the version taking the traffic, binary bodies passed through both ways', async () => {
    const result = await drive(gateway.url, rows, 'gateway');
    expect(result.server_metadata.name).toBe('mlops-gateway');
    expectMetadata(result, '2');
    expectSameAnswers(result, await jsonProbabilities(servers[1]!.url, rows));
    for (const call of [result.json!, result.binary, result.binary_default]) expect(call.model_version).toBe('2');

    const pinned = await fetch(`${gateway.url}/v2/models/${MODEL}/versions/1`);
    expect(pinned.headers.get('x-model-version')).toBe('1');
    expect(((await pinned.json()) as { versions: string[] }).versions).toEqual(['1']);
    expect((await fetch(`${gateway.url}/v2/models/${MODEL}/versions/1/ready`)).status).toBe(200);
    expect((await fetch(`${gateway.url}/v2/models/${MODEL}/versions/7`)).status).toBe(404);
    expect((await fetch(`${gateway.url}/v2/models/nothing/ready`)).status).toBe(404);
  });

  it("the gateway's prediction log and stats see the binary requests' rows as they see the JSON ones", async () => {
    let log: PredictionRecord[] = [];
    const ids = (call: string) => rows.map((_, i) => `gateway-${call}#${i}`);
    const wanted = [...ids('json'), ...ids('binary'), ...ids('binary_default')];
    for (let attempt = 0; attempt < 100; attempt++) {
      log = (await readPredictionLog(dir, MODEL, started, Date.now() + 1000)).filter((record) => wanted.includes(record.requestId));
      if (log.length === wanted.length) break;
      await sleep(100);
    }
    expect(log).toHaveLength(wanted.length);
    const byId = new Map(log.map((record) => [record.requestId, record]));
    const probabilities = await jsonProbabilities(servers[1]!.url, rows);
    rows.forEach((row, i) => {
      const json = byId.get(`gateway-json#${i}`)!;
      expect(json.features).toEqual(row);
      expect(json.score).toBe(probabilities[i]);
      for (const call of ['binary', 'binary_default']) {
        const record = byId.get(`gateway-${call}#${i}`)!;
        expect(record.features).toEqual(json.features);
        expect(record.score).toBe(json.score);
        expect(record.error).toBeUndefined();
      }
    });

    const answer = await fetch(`${gateway.url}/admin/models/${MODEL}/stats?windowSeconds=3600`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const stats = (await answer.json()) as ModelStats;
    const v2 = stats.versions.find((version) => version.version === 2)!;
    expect(v2.requests).toBe(3);
    expect(v2.errors).toBe(0);
    const mean = probabilities.reduce((sum, p) => sum + p, 0) / probabilities.length;
    expect(v2.meanScore).toBeCloseTo(mean, 12);
  });

  it('a malformed binary body is a 400 naming the input, from the server and through the gateway', async () => {
    const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'region', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: 6 } }] }));
    const body = Buffer.concat([header, Buffer.from([9, 0, 0, 0, 0x61, 0x62])]);
    for (const url of [servers[0]!.url, gateway.url]) {
      const answer = await fetch(`${url}/v2/models/${MODEL}/infer`, { method: 'POST', headers: { 'inference-header-content-length': String(header.length) }, body });
      expect(answer.status).toBe(400);
      expect(await answer.json()).toEqual({ error: 'input "region": BYTES element 0 is truncated: its length is 9 but only 2 bytes remain' });
    }
  });
});
