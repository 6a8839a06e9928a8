/**
 * The container deploy target against the real engine: a version runs as a container from its
 * pushed image (by digest) behind the gateway, gets traffic only once ready, serves the same
 * predictions as our own scorer, is found again instead of started twice, and retires cleanly.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../../src/data/load-dataset.js';
import { openRegistry } from '../../src/registry/open-registry.js';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerDeployTarget, containerName, ServingImageNotRecorded } from '../../src/deploy/container-deploy-target.js';
import { runServingImageJob } from '../../src/build/serving-image-job.js';
import { containerDeploySettings, type DeploySection } from '../../src/spec/schema.js';
import { startGateway, type RunningGateway } from '../../src/serving/gateway.js';
import { dockerForTests, removeModelContainers, removeModelImages, uniqueModelName } from '../support/docker-engine.js';
import { containerDefinition, inferenceFixture, registerTrainedVersion } from '../support/docker-fixtures.js';

const engine = await dockerForTests();
const TOKEN = 'container-target-test-token';

describe.skipIf(!engine.ok)('container deploy target (real engine, registry and gateway)', () => {
  if (!engine.ok) return;
  const { docker } = engine;
  const model = uniqueModelName('served');
  const onnxModel = uniqueModelName('served-onnx');
  let dataDir: string;
  let gateway: RunningGateway;
  let target: ContainerDeployTarget;
  let servedVersion: number;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-container-target-'));
    gateway = await startGateway({ dataDir, adminToken: TOKEN, flushIntervalMs: 500 });
    const deploy = containerDefinition(model, { cpus: 0.5, memory: '256m' }, gateway.url).deploy as DeploySection;
    target = new ContainerDeployTarget({ dataDir, gatewayUrl: gateway.url, gatewayToken: TOKEN, settings: containerDeploySettings(deploy) });
  });

  afterAll(async () => {
    await removeModelContainers(docker, model);
    await removeModelContainers(docker, onnxModel);
    await removeModelImages(docker, [model, onnxModel]);
    await gateway?.close();
  });

  it('serves predictions through the gateway from the version\'s pushed image', async () => {
    const registered = await registerTrainedVersion(dataDir, model);
    const image = await runServingImageJob({ definition: containerDefinition(model, {}, gateway.url), version: registered.version, dataDir, heartbeat: () => undefined });

    const started = performance.now();
    const deployed = await target.deployVersion(model, registered.version);
    console.log(`container start-to-ready (deployVersion, image present): ${((performance.now() - started) / 1000).toFixed(2)} s`);
    expect(deployed.ref).toBe(`container:${containerName(model, registered.version)}`);

    const info = await docker.getContainer(containerName(model, registered.version)).inspect();
    expect(info.State.Running).toBe(true);
    expect(info.Config.Image).toBe(`${image.reference.replace(/:[^:/]+$/, '')}@${image.digest}`);
    expect(info.HostConfig.NetworkMode).toBe('host');
    expect(info.HostConfig.NanoCpus).toBe(0.5e9);
    expect(info.HostConfig.Memory).toBe(256 * 1024 * 1024);

    await target.setTrafficWeights(model, { [registered.version]: 100 });
    const { body, expected } = inferenceFixture(registered, 25);
    const response = await fetch(`${gateway.url}/v2/models/${model}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { model_version: string; outputs: { name: string; data: number[] }[] };
    expect(answer.model_version).toBe(String(registered.version));
    const probabilities = answer.outputs.find((o) => o.name === 'probability')!.data;
    expect(probabilities).toHaveLength(25);
    probabilities.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 12));

    // Deploying again finds the running container instead of starting a second one.
    const again = await target.deployVersion(model, registered.version);
    expect(again.url).toBe(deployed.url);
    expect((await docker.getContainer(containerName(model, registered.version)).inspect()).Id).toBe(info.Id);

    servedVersion = registered.version;
  });

  it('serves an ONNX version (scikit-learn gradient boosting) from its image, which carries the ONNX runtime', async () => {
    const fixtures = fileURLToPath(new URL('../fixtures/onnx/', import.meta.url));
    const expected = JSON.parse(await readFile(path.join(fixtures, 'expected.json'), 'utf8')) as { trainRows: number; features: string[]; probabilities: { hgb: number[] } };
    const registry = await openRegistry({ kind: 'embedded' }, { dataDir });
    let version: number;
    try {
      ({ version } = await registry.registerVersion({
        model: onnxModel, idempotencyKey: `${onnxModel}/hgb`, status: 'candidate', artifactPath: path.join(fixtures, 'hgb.onnx'), metrics: {}, gates: [],
        lineage: { dataVersion: 'test', definitionHash: 'test', trainer: 'command:train.py', codeVersion: 'test', workflowId: 'test', runId: 'test' },
      }));
    } finally {
      await registry.close();
    }
    await runServingImageJob({ definition: containerDefinition(onnxModel, {}, gateway.url), version, dataDir, heartbeat: () => undefined });
    await target.deployVersion(onnxModel, version);
    await target.setTrafficWeights(onnxModel, { [version]: 100 });

    const table = await loadDataset(path.join(fixtures, 'data.csv'), { format: 'csv' });
    const rows = Array.from({ length: 25 }, (_, i) => expected.trainRows + i);
    const inputs = table.columns.filter((c) => expected.features.includes(c.name)).map((c) =>
      c.kind === 'numeric'
        ? { name: c.name, shape: [rows.length], datatype: 'FP64', data: rows.map((r) => (Number.isNaN(c.values[r]!) ? null : c.values[r]!)) }
        : { name: c.name, shape: [rows.length], datatype: 'BYTES', data: rows.map((r) => (c.codes[r]! < 0 ? null : c.dictionary[c.codes[r]!]!)) },
    );
    const response = await fetch(`${gateway.url}/v2/models/${onnxModel}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs }) });
    expect(response.status, await response.clone().text()).toBe(200);
    const answer = (await response.json()) as { outputs: { name: string; data: number[] }[] };
    const probabilities = answer.outputs.find((o) => o.name === 'probability')!.data;
    probabilities.forEach((p, i) => expect(Math.abs(p - expected.probabilities.hgb[i]!)).toBeLessThanOrEqual(1e-5));
  });

  it('refuses a version that has no serving image recorded', async () => {
    const registered = await registerTrainedVersion(dataDir, model, 2);
    await expect(target.deployVersion(model, registered.version)).rejects.toBeInstanceOf(ServingImageNotRecorded);
  });

  it('restarts a version with faults when asked (they reach the model server), and retires versions', async () => {
    const registered = await registerTrainedVersion(dataDir, model, 3);
    await runServingImageJob({ definition: containerDefinition(model, {}, gateway.url), version: registered.version, dataDir, heartbeat: () => undefined });
    const healthy = await target.deployVersion(model, registered.version);
    const faulty = await target.deployVersion(model, registered.version, { faults: { errorRate: 1, addedLatencyMs: 0 } });
    expect(faulty.url).not.toBe(healthy.url);
    const { body } = inferenceFixture(registered, 1);
    const response = await fetch(`${faulty.url}/v2/models/${model}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status).toBe(500);

    // Retiring: traffic moves to the faulty one (a drill), then the first version leaves the gateway and its container goes.
    await target.setTrafficWeights(model, { [registered.version]: 100, [servedVersion]: 0 });
    await target.retireVersion(model, servedVersion);
    await expect(docker.getContainer(containerName(model, servedVersion)).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const split = await target.getTrafficSplit(model);
    expect(Object.keys(split?.weights ?? {})).toEqual([String(registered.version)]);
  });
});
