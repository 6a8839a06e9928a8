/**
 * Any scikit-learn model, end to end on the real dev server, gateway and model servers: a linear
 * champion from the built-in trainer, then a command trainer that fits examples/sklearn's
 * gradient boosting pipeline and writes ONNX. The challenger is compared with the champion on
 * the same hold-out across formats, canaried and promoted, and the gateway's answers equal
 * scikit-learn's own predict_proba for the same rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createWorkflowTestEnvironment, type WorkflowTestEnvironment } from '../support/workflow-environment.js';
import { startServingStack, type ServingStack } from '../support/serving-stack.js';
import { fraudDefinition, makeDataset, writeDefinition } from '../support/pipeline-fixtures.js';
import { PYTHON_ML, pythonMlUnavailableReason, SKLEARN_EXAMPLE_TRAINER } from '../support/python-ml.js';
import { openRegistry } from '../../src/registry/open-registry.js';
import { loadDataset } from '../../src/data/load-dataset.js';
import { SERVED_VERSION_HEADER } from '../../src/serving/gateway-contract.js';
import type { PipelineDefinitionInput } from '../../src/spec/schema.js';
import type { PipelineResult } from '../../workflows/pipeline-status.js';

const unavailable = await pythonMlUnavailableReason('pipeline-onnx');
const MODEL = 'shop-onnx';

describe.skipIf(unavailable !== undefined)('a scikit-learn gradient boosting pipeline as ONNX, through the canary', () => {
  let env: WorkflowTestEnvironment;
  let stack: ServingStack;
  let dataDir: string;
  const stops: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-pipeline-onnx-'));
    stack = await startServingStack(dataDir);
    env = await createWorkflowTestEnvironment({ dataDir });
  });
  afterAll(async () => {
    for (const stop of stops) await stop();
    await env?.close();
    await stack?.close();
  });

  const deploy = () => ({
    gateway: { url: stack.gateway.url },
    canary: {
      steps: [{ weight: 50 }], slaWindow: '3s', interval: '1s', metricsWindow: '1s', minChecksWithEvidence: 1,
      sla: { errorRate: { max: 0.03 }, latencyP99Ms: { max: 1000 }, minSamples: 10 }, errorRateTest: { enabled: false },
    },
  });

  async function runPipeline(definition: PipelineDefinitionInput, name: string): Promise<PipelineResult> {
    const file = await writeDefinition(dataDir, definition, name);
    const handle = await env.client.workflow.start('modelPipeline', { taskQueue: env.settings.taskQueue, workflowId: `pipeline/${MODEL}/${randomUUID()}`, args: [{ pipelineFile: file }] });
    return env.run(() => handle.result());
  }

  it('compares the ONNX challenger with the linear champion on one hold-out, promotes it, and serves predict_proba', async () => {
    const day1 = await makeDataset(dataDir, 'day1.csv', { seed: 41 });
    const first = await runPipeline({ ...fraudDefinition(day1, { model: MODEL }), deploy: deploy() }, 'day1.yaml');
    expect(first).toMatchObject({ outcome: 'promoted', version: 1 });

    stops.push(stack.startTraffic(MODEL, 100));
    const day2 = await makeDataset(dataDir, 'day2.csv', { seed: 42 });
    const probe = await makeDataset(dataDir, 'probe.csv', { rows: 60, seed: 43 });
    const sklearnScores = path.join(dataDir, 'sklearn-probe-scores.json');
    const base = fraudDefinition(day2, { model: MODEL });
    const second = await runPipeline({
      ...base,
      train: { runtime: 'command', command: [PYTHON_ML, SKLEARN_EXAMPLE_TRAINER], env: { TRAIN_PREDICT_DATA: probe, TRAIN_PREDICT_OUT: sklearnScores }, timeout: '5m' },
      evaluate: { ...base.evaluate, gates: { ...base.evaluate?.gates, roc_auc: { min: 0.6 }, champion: { metric: 'roc_auc', maxRegression: 0.05 } } },
      deploy: deploy(),
    }, 'day2.yaml');
    expect(second).toMatchObject({ outcome: 'promoted', version: 2, canary: { result: 'promoted' } });

    const registry = await openRegistry({ kind: 'embedded' }, { dataDir });
    try {
      const v2 = (await registry.getVersion(MODEL, 2))!;
      expect(v2.lineage.trainer).toBe(`command:${PYTHON_ML} ${SKLEARN_EXAMPLE_TRAINER}`);
      expect(v2.lineage.parentVersion).toBe(1);
      // The champion gate compared the two formats' ROC AUC on the same hold-out.
      const gate = v2.gates.find((g) => g.gate === 'champion:roc_auc')!;
      expect(gate.value).toBe(v2.metrics.roc_auc);
      expect(gate.detail).toMatch(/^roc_auc \S+ vs champion \S+/);
      const championAuc = Number(/vs champion (\S+)/.exec(gate.detail!)![1]);
      expect(gate.min).toBeCloseTo(championAuc - 0.05, 3);
      expect(gate.passed).toBe(gate.value! >= gate.min! - 1e-12);
    } finally {
      await registry.close();
    }

    // The probe rows through the gateway (all traffic is on v2 now) against scikit-learn's own numbers.
    const expected = JSON.parse(await readFile(sklearnScores, 'utf8')) as number[];
    const table = await loadDataset(probe, { format: 'csv' });
    const inputs = table.columns.filter((c) => c.name !== 'transaction_id' && c.name !== 'is_fraud').map((c) =>
      c.kind === 'numeric'
        ? { name: c.name, shape: [table.rowCount, 1], datatype: 'FP64', data: Array.from(c.values, (v) => (Number.isNaN(v) ? null : v)) }
        : { name: c.name, shape: [table.rowCount, 1], datatype: 'BYTES', data: Array.from(c.codes, (code) => (code < 0 ? null : c.dictionary[code])) },
    );
    const response = await fetch(`${stack.gateway.url}/v2/models/${MODEL}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs }) });
    expect(response.status).toBe(200);
    expect(response.headers.get(SERVED_VERSION_HEADER)).toBe('2');
    const body = (await response.json()) as { outputs: Array<{ name: string; data: number[] }> };
    const served = body.outputs.find((o) => o.name === 'probability')!.data;
    expect(served).toHaveLength(expected.length);
    const worst = Math.max(...served.map((p, i) => Math.abs(p - expected[i]!)));
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  it.each([
    ['not-onnx', 'a file that is not ONNX', /not an ONNX model/],
    ['future-opset.onnx', 'an opset the runtime cannot load', /onnxruntime \S+ cannot load it \(opsets ai\.onnx 99\)/],
    ['zipmap.onnx', 'a ZipMap output', /ZipMap .*convert with zipmap=False/],
    ['regressor.onnx', 'no probability output', /no probability output/],
    ['unknown-input.onnx', 'inputs that do not match the data', /input "amount_usd" is not a column of the data/],
  ])('fails the run at its training step, before registration, for %s (%s)', async (fixture, _case, message) => {
    const model = `bad-onnx-${fixture.replace(/\W+/g, '-')}`;
    const source = fixture === 'not-onnx' ? path.join(dataDir, 'not-onnx.bin') : fileURLToPath(new URL(`../fixtures/onnx/${fixture}`, import.meta.url));
    if (fixture === 'not-onnx') await writeFile(source, 'PK\u0003\u0004 a zip, not a model');
    const copies = `const fs = require('node:fs'); const out = process.env.MLOPS_OUTPUT_DIR; fs.mkdirSync(out + '/model', { recursive: true });
      fs.copyFileSync(${JSON.stringify(source)}, out + '/model/model.onnx'); fs.writeFileSync(out + '/metrics.json', '{}');`;
    const data = await makeDataset(dataDir, `${model}.csv`, { seed: 44 });
    const file = await writeDefinition(dataDir, { ...fraudDefinition(data, { model }), train: { runtime: 'command', command: [process.execPath, '-e', copies] } }, `${model}.yaml`);
    const handle = await env.client.workflow.start('modelPipeline', { taskQueue: env.settings.taskQueue, workflowId: `pipeline/${model}/${randomUUID()}`, args: [{ pipelineFile: file }] });
    const error = await env.run(() => handle.result().then(() => undefined, (e: unknown) => e));
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toMatch(message);
    // One attempt: the training activity was not retried.
    const history = await handle.fetchHistory();
    const attempts = history.events!.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 1);
    expect(Math.max(...attempts)).toBe(1);
    const registry = await openRegistry({ kind: 'embedded' }, { dataDir });
    try {
      expect(await registry.listVersions(model).catch(() => [])).toEqual([]);
    } finally {
      await registry.close();
    }
  });
});
