import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFraudTable } from '../../../src/data/generate.js';
import type { Table } from '../../../src/data/table.js';
import { ArtifactIntegrityError, ModelNotFoundError, type ModelRegistry } from '../../../src/registry/model-registry.js';
import { openRegistry } from '../../../src/registry/open-registry.js';
import { loadServingArtifact, startModelServer, type RunningModelServer } from '../../../src/serving/model-server.js';
import { parseFlap } from '../../../src/serving/model-server-faults.js';
import type { LinearModelArtifact } from '../../../src/train/artifact.js';
import { ArtifactError, writeArtifact } from '../../../src/train/artifact-file.js';
import { trainLogisticRegression } from '../../../src/train/logistic-regression.js';
import { scoreRecord, type RecordValue } from '../../../src/train/predict.js';
import { makeTempDir, newVersion } from '../../support/registry-fixtures.js';

const MODEL = 'fraud';
const FEATURES = ['amount', 'merchant_category', 'region', 'device_type', 'card_present', 'account_age_days', 'distance_from_home_km'];

let dir: string;
let cleanup: () => Promise<void>;
let registry: ModelRegistry;
let table: Table;
let artifact: LinearModelArtifact;
let artifactSha256: string;
let server: RunningModelServer;

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('model-server-'));
  table = generateFraudTable({ rows: 3000, seed: 11, fraudRate: 0.2, nullShare: 0.1 }).table;
  const trained = trainLogisticRegression(table, {
    model: MODEL,
    target: 'is_fraud',
    features: FEATURES,
    rows: Uint32Array.from({ length: table.rowCount }, (_, i) => i),
    params: { l2: 1, maxIterations: 200, tolerance: 1e-6, minCategoryCount: 1 },
    seed: 1,
  });
  const written = await writeArtifact(trained, path.join(dir, 'trained'));
  registry = await openRegistry({ kind: 'embedded', path: path.join(dir, 'registry') }, { dataDir: dir });
  await registry.registerVersion(newVersion(written.path, { model: MODEL }));
  const loaded = await loadServingArtifact({ registry, model: MODEL, version: 1, cacheDir: path.join(dir, 'cache') });
  artifact = trained;
  artifactSha256 = loaded.artifactSha256;
  expect(loaded.artifact.format).toBe('linear');
  expect(artifactSha256).toBe(written.sha256);
  server = await startModelServer({ model: MODEL, version: 1, artifact: loaded.artifact, artifactSha256, processMetrics: false });
});

afterAll(async () => {
  await server?.close();
  await registry?.close();
  await cleanup?.();
});

// ------------------------------------------------------------------ helpers

/** Row `row` of the table as a record (null = missing), the way scoreRecord takes it. */
function recordOf(row: number): Record<string, RecordValue> {
  const record: Record<string, RecordValue> = {};
  for (const name of FEATURES) {
    const column = table.columns.find((c) => c.name === name)!;
    if (column.kind === 'numeric') record[name] = Number.isNaN(column.values[row]!) ? null : column.values[row]!;
    else record[name] = column.codes[row]! < 0 ? null : column.dictionary[column.codes[row]!]!;
  }
  return record;
}

/** One columnar OIP input per feature for these records. */
function inputsOf(records: Record<string, RecordValue>[], shape: (n: number) => number[] = (n) => [n]) {
  return artifact.features.map((feature) => ({
    name: feature.name,
    datatype: feature.kind === 'numeric' ? 'FP64' : 'BYTES',
    shape: shape(records.length),
    data: records.map((record) => record[feature.name]),
  }));
}

/** A status and parsed JSON body; `any` so tests can reach into answers of any shape. */
type Answer = { status: number; body: any };

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

async function get(url: string): Promise<Answer> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

const inferUrl = () => `${server.url}/v2/models/${MODEL}/infer`;

/** The value of a Prometheus sample whose labels include `labels` (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return 0;
}

const metricsText = async (url = server.url) => (await fetch(`${url}/metrics`)).text();

// ------------------------------------------------------------------ tests

describe('health and metadata', () => {
  it('answers live and ready', async () => {
    expect(await get(`${server.url}/v2/health/live`)).toEqual({ status: 200, body: { live: true } });
    expect(await get(`${server.url}/v2/health/ready`)).toEqual({ status: 200, body: { ready: true } });
    expect(await get(`${server.url}/v2/models/${MODEL}/ready`)).toEqual({ status: 200, body: { name: MODEL, ready: true } });
    expect((await get(`${server.url}/v2/models/${MODEL}/versions/1/ready`)).status).toBe(200);
  });

  it('describes one FP64 or BYTES input per feature and the two outputs', async () => {
    const { status, body } = await get(`${server.url}/v2/models/${MODEL}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ name: MODEL, versions: ['1'], platform: 'mlops-linear', parameters: { artifact_sha256: artifactSha256, target: 'is_fraud' } });
    expect(body.inputs).toEqual([
      { name: 'amount', datatype: 'FP64', shape: [-1] },
      { name: 'merchant_category', datatype: 'BYTES', shape: [-1] },
      { name: 'region', datatype: 'BYTES', shape: [-1] },
      { name: 'device_type', datatype: 'BYTES', shape: [-1] },
      { name: 'card_present', datatype: 'FP64', shape: [-1] },
      { name: 'account_age_days', datatype: 'FP64', shape: [-1] },
      { name: 'distance_from_home_km', datatype: 'FP64', shape: [-1] },
    ]);
    expect(body.outputs).toEqual([
      { name: 'probability', datatype: 'FP64', shape: [-1] },
      { name: 'label', datatype: 'INT64', shape: [-1] },
    ]);
    expect((await get(`${server.url}/v2/models/${MODEL}/versions/1`)).body).toEqual(body);
  });

  it('answers 404 for another model or version', async () => {
    expect(await get(`${server.url}/v2/models/churn`)).toEqual({ status: 404, body: { error: 'unknown model "churn": this server serves "fraud"' } });
    expect(await get(`${server.url}/v2/models/${MODEL}/versions/2`)).toEqual({
      status: 404,
      body: { error: 'unknown version "2" of model "fraud": this server serves version 1' },
    });
    expect((await get(`${server.url}/v2/models/churn/ready`)).status).toBe(404);
    expect((await post(`${server.url}/v2/models/churn/infer`, { inputs: inputsOf([recordOf(0)]) })).status).toBe(404);
    expect((await post(`${server.url}/v2/models/${MODEL}/versions/2/infer`, { inputs: inputsOf([recordOf(0)]) })).status).toBe(404);
    expect((await get(`${server.url}/nowhere`)).body).toEqual({ error: 'no route GET /nowhere' });
  });
});

describe('inference', () => {
  it('scores one row exactly as scoreRecord does', async () => {
    const record = recordOf(5);
    const { status, body } = await post(inferUrl(), { id: 'req-1', inputs: inputsOf([record]) });
    expect(status).toBe(200);
    const expected = scoreRecord(artifact, record);
    expect(body).toEqual({
      model_name: MODEL,
      model_version: '1',
      id: 'req-1',
      outputs: [
        { name: 'probability', shape: [1], datatype: 'FP64', data: [expected] },
        { name: 'label', shape: [1], datatype: 'INT64', data: [expected >= 0.5 ? 1 : 0] },
      ],
    });
  });

  it('scores a batch with missing values and unseen categories row by row like scoreRecord', async () => {
    const records = Array.from({ length: 300 }, (_, row) => recordOf(row));
    records[7]!.region = 'atlantis';
    records[8]!.amount = null;
    records[9]!.merchant_category = null;
    expect(records.some((r) => r.device_type === null)).toBe(true);
    const { status, body } = await post(`${server.url}/v2/models/${MODEL}/versions/1/infer`, { inputs: inputsOf(records, (n) => [n, 1]) });
    expect(status).toBe(200);
    const expected = records.map((record) => scoreRecord(artifact, record));
    expect(body.outputs[0]).toEqual({ name: 'probability', shape: [300], datatype: 'FP64', data: expected });
    expect(body.outputs[1].data).toEqual(expected.map((p) => (p >= 0.5 ? 1 : 0)));
    // The batch holds both classes, so the label really follows the probability.
    expect(new Set(body.outputs[1].data)).toEqual(new Set([0, 1]));
  });

  it('takes the id from x-request-id when the body has none, else makes one', async () => {
    expect((await post(inferUrl(), { inputs: inputsOf([recordOf(1)]) }, { 'x-request-id': 'from-header' })).body.id).toBe('from-header');
    expect((await post(inferUrl(), { inputs: inputsOf([recordOf(1)]) })).body.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers only the requested outputs', async () => {
    const { body } = await post(inferUrl(), { inputs: inputsOf([recordOf(2)]), outputs: [{ name: 'label' }] });
    expect(body.outputs.map((o: { name: string }) => o.name)).toEqual(['label']);
  });
});

describe('bad requests', () => {
  const amountAt = (data: unknown[]) => {
    const records = data.map((_, row) => recordOf(row));
    return inputsOf(records).map((input) => (input.name === 'amount' ? { ...input, data } : input));
  };
  const cases: Array<[string, () => unknown, string]> = [
    ['a missing feature input', () => ({ inputs: inputsOf([recordOf(0)]).filter((i) => i.name !== 'amount') }), 'missing input "amount"'],
    ['text in a numeric input', () => ({ inputs: amountAt([1, 2, null, 'abc']) }), 'input "amount": expected FP64 numbers or null, got "abc" at index 3'],
    ['a boolean in a numeric input', () => ({ inputs: amountAt([true]) }), 'input "amount": expected FP64 numbers or null, got true at index 0'],
    [
      'a number in a categorical input',
      () => ({ inputs: inputsOf([recordOf(0), recordOf(1)]).map((i) => (i.name === 'region' ? { ...i, data: ['north', 7] } : i)) }),
      'input "region": expected BYTES strings or null, got 7 at index 1',
    ],
    [
      'the wrong datatype',
      () => ({ inputs: inputsOf([recordOf(0)]).map((i) => (i.name === 'amount' ? { ...i, datatype: 'BYTES' } : i)) }),
      'input "amount": expected datatype FP64, got "BYTES"',
    ],
    [
      'inputs of different lengths',
      () => ({ inputs: inputsOf([recordOf(0), recordOf(1)]).map((i) => (i.name === 'region' ? { ...i, shape: [1], data: ['north'] } : i)) }),
      'inputs have different lengths: "amount" has 2 rows, "region" has 1',
    ],
    [
      'a shape that does not match the data',
      () => ({ inputs: inputsOf([recordOf(0), recordOf(1)]).map((i) => (i.name === 'amount' ? { ...i, shape: [3] } : i)) }),
      'input "amount": shape [3] says 3 values but data holds 2',
    ],
    [
      'a matrix shape',
      () => ({ inputs: inputsOf([recordOf(0), recordOf(1)]).map((i) => (i.name === 'amount' ? { ...i, shape: [1, 2] } : i)) }),
      'input "amount": expected shape [n] or [n, 1] (one feature per input), got [1, 2]',
    ],
    [
      'an unknown extra input',
      () => ({ inputs: [...inputsOf([recordOf(0)]), { name: 'shoe_size', datatype: 'FP64', shape: [1], data: [42] }] }),
      'unknown input "shoe_size": the model\'s inputs are amount, merchant_category, region, device_type, card_present, account_age_days, distance_from_home_km',
    ],
    ['an input given twice', () => ({ inputs: [...inputsOf([recordOf(0)]), inputsOf([recordOf(0)])[0]] }), 'input "amount" is given more than once'],
    ['an unknown output', () => ({ inputs: inputsOf([recordOf(0)]), outputs: [{ name: 'logits' }] }), 'unknown output "logits": the model\'s outputs are probability, label'],
    ['no inputs at all', () => ({ id: 'x' }), "invalid request: body must have required property 'inputs'"],
    ['an input without data', () => ({ inputs: [{ name: 'amount', datatype: 'FP64', shape: [1] }] }), "invalid request: body/inputs/0 must have required property 'data'"],
  ];
  it.each(cases)('answers 400 for %s', async (_what, body, message) => {
    expect(await post(inferUrl(), body())).toEqual({ status: 400, body: { error: message } });
  });

  it('answers 400 for a body that is not JSON', async () => {
    const response = await fetch(inferUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs": [' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/JSON/);
  });
});

describe('/metrics', () => {
  it('counts requests by code and records latency and one score per row', async () => {
    const labels = { model: MODEL, version: '1' };
    const before = await metricsText();
    const records = [recordOf(20), recordOf(21), recordOf(22)];
    await post(inferUrl(), { inputs: inputsOf(records) });
    await post(inferUrl(), { inputs: inputsOf([recordOf(0)]).slice(1) });
    const after = await metricsText();

    const delta = (name: string, extra: Record<string, string> = {}) => sample(after, name, { ...labels, ...extra }) - sample(before, name, { ...labels, ...extra });
    expect(delta('mlops_model_requests_total', { code: '200' })).toBe(1);
    expect(delta('mlops_model_requests_total', { code: '400' })).toBe(1);
    expect(delta('mlops_model_request_duration_seconds_count')).toBe(2);
    expect(delta('mlops_model_request_duration_seconds_sum')).toBeGreaterThan(0);
    expect(delta('mlops_model_prediction_score_count')).toBe(3);
    // The scores land in the buckets their values say.
    const scores = records.map((record) => scoreRecord(artifact, record));
    for (const le of ['0.05', '0.35', '0.5', '0.95', '1']) {
      expect(delta('mlops_model_prediction_score_bucket', { le })).toBe(scores.filter((s) => s <= Number(le)).length);
    }
    expect(after).toContain('le="0.35"');
    // Health and metadata are not inference requests.
    const quiet = await metricsText();
    await get(`${server.url}/v2/health/ready`);
    expect(sample(await metricsText(), 'mlops_model_request_duration_seconds_count', labels)).toBe(sample(quiet, 'mlops_model_request_duration_seconds_count', labels));
  });
});

describe('fault injection', () => {
  it('fails about errorRate of inference requests with 500 and leaves health alone', async () => {
    const faulty = await startModelServer({ model: MODEL, version: 1, artifact, artifactSha256, faults: { errorRate: 0.3, addedLatencyMs: 0 }, processMetrics: false });
    try {
      const body = { inputs: inputsOf([recordOf(0)]) };
      const statuses: number[] = [];
      for (let batch = 0; batch < 10; batch++) {
        const answers = await Promise.all(Array.from({ length: 40 }, () => post(`${faulty.url}/v2/models/${MODEL}/infer`, body)));
        for (const answer of answers) {
          statuses.push(answer.status);
          if (answer.status === 500) expect(answer.body).toEqual({ error: 'injected fault' });
        }
      }
      const failed = statuses.filter((s) => s === 500).length;
      expect(statuses.filter((s) => s !== 500 && s !== 200)).toEqual([]);
      // 400 draws at p = 0.3: mean 120, sd ≈ 9.2; these bounds are ±5 sd.
      expect(failed).toBeGreaterThan(74);
      expect(failed).toBeLessThan(166);
      expect(sample(await metricsText(faulty.url), 'mlops_model_requests_total', { code: '500' })).toBe(failed);
      for (let i = 0; i < 20; i++) expect((await get(`${faulty.url}/v2/health/ready`)).status).toBe(200);
    } finally {
      await faulty.close();
    }
  });

  it('repeats the same failures for the same seed', async () => {
    const run = async () => {
      const faulty = await startModelServer({ model: MODEL, version: 1, artifact, artifactSha256, faults: { errorRate: 0.5, addedLatencyMs: 0, seed: 9 }, processMetrics: false });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 30; i++) statuses.push((await post(`${faulty.url}/v2/models/${MODEL}/infer`, { inputs: inputsOf([recordOf(0)]) })).status);
        return statuses;
      } finally {
        await faulty.close();
      }
    };
    const first = await run();
    expect(new Set(first)).toEqual(new Set([200, 500]));
    expect(await run()).toEqual(first);
  });

  it('adds the latency before answering', async () => {
    const slow = await startModelServer({ model: MODEL, version: 1, artifact, artifactSha256, faults: { errorRate: 0, addedLatencyMs: 80 }, processMetrics: false });
    try {
      const started = performance.now();
      const { status } = await post(`${slow.url}/v2/models/${MODEL}/infer`, { inputs: inputsOf([recordOf(0)]) });
      expect(status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(79);
      expect(sample(await metricsText(slow.url), 'mlops_model_request_duration_seconds_sum', { model: MODEL })).toBeGreaterThanOrEqual(0.079);
      // Health is not delayed: sent after an inference request, it is answered first.
      const finished: string[] = [];
      await Promise.all([
        post(`${slow.url}/v2/models/${MODEL}/infer`, { inputs: inputsOf([recordOf(0)]) }).then(() => finished.push('infer')),
        get(`${slow.url}/v2/health/live`).then(() => finished.push('health')),
      ]);
      expect(finished).toEqual(['health', 'infer']);
    } finally {
      await slow.close();
    }
  });

  it('stops after durationMs, like a transient incident', async () => {
    const brief = await startModelServer({ model: MODEL, version: 1, artifact, artifactSha256, faults: { errorRate: 1, addedLatencyMs: 0, durationMs: 400 }, processMetrics: false });
    try {
      const body = { inputs: inputsOf([recordOf(0)]) };
      expect((await post(`${brief.url}/v2/models/${MODEL}/infer`, body)).status).toBe(500);
      await new Promise((resolve) => setTimeout(resolve, 450));
      expect((await post(`${brief.url}/v2/models/${MODEL}/infer`, body)).status).toBe(200);
    } finally {
      await brief.close();
    }
  });

  it('flaps: faults on for onMs, off for offMs, on again', async () => {
    const flapping = await startModelServer({ model: MODEL, version: 1, artifact, artifactSha256, faults: { errorRate: 1, addedLatencyMs: 0, flap: { onMs: 300, offMs: 300 } }, processMetrics: false });
    try {
      const body = { inputs: inputsOf([recordOf(0)]) };
      const statusAt = async (ms: number) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        return (await post(`${flapping.url}/v2/models/${MODEL}/infer`, body)).status;
      };
      expect(await statusAt(0)).toBe(500);
      expect(await statusAt(400)).toBe(200); // ~400 ms: off
      expect(await statusAt(300)).toBe(500); // ~700 ms: on again
    } finally {
      await flapping.close();
    }
    expect(() => parseFlap('3000/0', '--fault-flap-ms')).toThrow('--fault-flap-ms: expected <on ms>/<off ms> with both > 0, e.g. 3000/2000, got "3000/0"');
    expect(parseFlap('3000/2000', 'x')).toEqual({ onMs: 3000, offMs: 2000 });
  });

  it('refuses an error rate outside 0..1', async () => {
    await expect(startModelServer({ model: MODEL, version: 1, artifact, artifactSha256, faults: { errorRate: 1.5, addedLatencyMs: 0 } })).rejects.toThrow(
      'faults.errorRate must be between 0 and 1, got 1.5',
    );
  });
});

describe('loading the artifact from the registry', () => {
  it('refuses a version whose stored bytes no longer match their sha256', async () => {
    const store = path.join(dir, 'registry', 'artifacts', 'sha256', artifactSha256.slice(0, 2), artifactSha256);
    const original = await readFile(store, 'utf8').catch(() => undefined);
    expect(original, `artifact store layout changed: nothing at ${store}`).toBeDefined();
    await writeFile(store, original!.replace(/"intercept": [^,]+,/, '"intercept": 12,'));
    try {
      await expect(loadServingArtifact({ registry, model: MODEL, version: 1, cacheDir: path.join(dir, 'cache-tampered') })).rejects.toThrow(ArtifactIntegrityError);
    } finally {
      await writeFile(store, original!);
    }
  });

  it('refuses a registered file that is not a linear model', async () => {
    const file = path.join(dir, 'not-a-model.json');
    await writeFile(file, '{"weights":[1,2,3]}');
    const registered = await registry.registerVersion(newVersion(file, { model: MODEL }));
    await expect(loadServingArtifact({ registry, model: MODEL, version: registered.version, cacheDir: path.join(dir, 'cache') })).rejects.toThrow(ArtifactError);
  });

  it('names a version that is not registered', async () => {
    await expect(loadServingArtifact({ registry, model: MODEL, version: 99, cacheDir: path.join(dir, 'cache') })).rejects.toThrow(ModelNotFoundError);
  });
});
