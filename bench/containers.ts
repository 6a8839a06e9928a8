/**
 * Serving image build times (cold, new version, cached) and container start-to-ready time, on
 * the real Docker engine. Needs `scripts/docker-engine start` and `scripts/base-images`.
 *   npx tsx bench/containers.ts [rounds]
 * "Cold" pushes to a fresh, empty registry (started here on a spare port), so every layer,
 * the Node base included, is uploaded; "new version" is the steady state: the base layer is
 * already in the registry and only the model's layers are built and pushed; "cached" is the
 * same version again, found in the registry and skipped.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dockerEngine } from '../src/build/docker-engine.js';
import { openRegistry } from '../src/registry/open-registry.js';
import { buildServingImage, type ServingImage } from '../src/build/serving-image.js';
import { runServingImageJob } from '../src/build/serving-image-job.js';
import { ContainerDeployTarget } from '../src/deploy/container-deploy-target.js';
import { startGateway } from '../src/serving/gateway.js';
import { containerDeploySettings, type DeploySection } from '../src/spec/schema.js';
import { registerTrainedVersion, containerDefinition } from '../test/support/docker-fixtures.js';
import { dockerForTests, removeModelContainers, removeModelImages, uniqueModelName } from '../test/support/docker-engine.js';

const rounds = Number(process.argv[2] ?? 5);
const engine = await dockerForTests();
if (!engine.ok) throw new Error(`no Docker engine: ${engine.reason}`);
const docker = dockerEngine();
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-bench-containers-'));
const load = () => os.loadavg()[0]!.toFixed(1);

// ---------------------------------------------------------------- image builds
const emptyRegistryPort = 5099;
const registryDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-bench-registry-'));
await writeFile(path.join(registryDir, 'config.yml'), `version: 0.1\nlog: { level: error }\nstorage: { filesystem: { rootdirectory: ${registryDir}/storage } }\nhttp: { addr: 127.0.0.1:${emptyRegistryPort} }\n`);
const emptyRegistry = spawn('docker-registry', ['serve', path.join(registryDir, 'config.yml')], { stdio: 'ignore' });
await sleep(1_000);

const builds: { case: string; seconds: number; build: number; push: number; skipped: boolean; load: string }[] = [];
const model = uniqueModelName('bench');
const artifactOf = (seed: number) => registerTrainedVersion(dataDir, model, seed);

async function timed(label: string, run: () => Promise<ServingImage | { skipped: boolean; buildSeconds: number; pushSeconds: number }>) {
  const started = performance.now();
  const result = await run();
  builds.push({ case: label, seconds: (performance.now() - started) / 1000, build: result.buildSeconds, push: result.pushSeconds, skipped: result.skipped, load: load() });
}

try {
  // Cold: an empty registry, nothing of this model in the builder cache.
  const first = await artifactOf(101);
  const registry = await openRegistry({ kind: 'embedded' }, { dataDir });
  const artifactDir = await mkdtemp(path.join(dataDir, 'artifact-'));
  const artifact = await registry.downloadArtifact(model, first.version, path.join(artifactDir, 'model.json'));
  await registry.close();
  await timed('cold: empty registry (every layer pushed, Node base included)', () =>
    buildServingImage(docker, {
      model, version: first.version, artifactPath: artifact.path, artifactSha256: first.artifactSha256,
      registryUrl: `127.0.0.1:${emptyRegistryPort}`, repository: 'bench', baseImage: 'mlops-node-base:20-bookworm-2', workDir: dataDir,
    }));

  // Steady state, against the project's registry (auth on): each new version builds and pushes its own layers.
  for (let round = 0; round < rounds; round++) {
    const next = await artifactOf(200 + round);
    await timed('new version: base layer already in the registry', () =>
      runServingImageJob({ definition: containerDefinition(model), version: next.version, dataDir, heartbeat: () => undefined }));
    await timed('cached: the same version again (skipped)', () =>
      runServingImageJob({ definition: containerDefinition(model), version: next.version, dataDir, heartbeat: () => undefined }));
  }
} finally {
  emptyRegistry.kill('SIGTERM');
}

// ---------------------------------------------------------------- container start-to-ready
const token = 'bench-token';
const gateway = await startGateway({ dataDir, adminToken: token, flushIntervalMs: 1_000 });
const deploy = containerDefinition(model, {}, gateway.url).deploy as DeploySection;
const target = new ContainerDeployTarget({ dataDir, gatewayUrl: gateway.url, gatewayToken: token, settings: containerDeploySettings(deploy) });
const served = await registerTrainedVersion(dataDir, model, 300);
await runServingImageJob({ definition: containerDefinition(model), version: served.version, dataDir, heartbeat: () => undefined });
const starts: number[] = [];
for (let round = 0; round < rounds; round++) {
  const started = performance.now();
  await target.deployVersion(model, served.version);
  starts.push((performance.now() - started) / 1000);
  await target.retireVersion(model, served.version);
}
await gateway.close();
await removeModelContainers(docker, model);
await removeModelImages(docker, [model]);

// ---------------------------------------------------------------- report
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log('\n| case | runs | median s | build s | push s | load avg |\n|---|---:|---:|---:|---:|---:|');
for (const label of [...new Set(builds.map((b) => b.case))]) {
  const rows = builds.filter((b) => b.case === label);
  console.log(`| ${label} | ${rows.length} | ${median(rows.map((r) => r.seconds)).toFixed(2)} | ${median(rows.map((r) => r.build)).toFixed(2)} | ${median(rows.map((r) => r.push)).toFixed(2)} | ${rows.at(-1)!.load} |`);
}
console.log(`\n| container start-to-ready (create → ready, image present) | runs | median s | max s | load avg |\n|---|---:|---:|---:|---:|\n| deployVersion | ${starts.length} | ${median(starts).toFixed(2)} | ${Math.max(...starts).toFixed(2)} | ${load()} |`);
process.exit(0);
