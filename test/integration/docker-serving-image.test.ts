/**
 * The serving image build against the real Docker engine and the real registry (htpasswd auth):
 * the activity builds, pushes and records; a second build is skipped; a broken step fails with
 * the step and its output; missing credentials and cancellation leave no tag behind.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { createPipelineActivities } from '../../activities/pipeline-activities.js';
import { buildImage } from '../../src/build/image-operations.js';
import { ImageBuildError } from '../../src/build/docker-progress.js';
import { servingImageName } from '../../src/build/image-name.js';
import { isPermanentImageFailure, runServingImageJob } from '../../src/build/serving-image-job.js';
import { openRegistry } from '../../src/registry/open-registry.js';
import { brokenNodeBaseImage, dockerForTests, registryClient, REGISTRY_URL, removeModelImages, uniqueModelName } from '../support/docker-engine.js';
import { containerDefinition, registerTrainedVersion, TEST_REPOSITORY } from '../support/docker-fixtures.js';

const engine = await dockerForTests();

describe.skipIf(!engine.ok)('serving image builds (real engine and registry)', () => {
  if (!engine.ok) return;
  const { docker, credentials } = engine;
  let dataDir: string;
  const activities = () => createPipelineActivities({ dataDir, codeVersion: 'test' });

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-image-'));
  });

  const model = uniqueModelName('image');
  let first: Awaited<ReturnType<ReturnType<typeof activities>['buildServingImage']>>;
  let registered: Awaited<ReturnType<typeof registerTrainedVersion>>;

  it('builds the serving image, pushes it with auth, and the pushed digest is the one the registry serves', async () => {
    registered = await registerTrainedVersion(dataDir, model);
    const environment = new MockActivityEnvironment();
    const beats: { phase?: string; step?: number; line?: string }[] = [];
    environment.on('heartbeat', (details: { phase?: string }) => beats.push(details));

    first = await environment.run(activities().buildServingImage, { definition: containerDefinition(model), version: registered.version });

    const name = servingImageName({ registryUrl: REGISTRY_URL, repository: TEST_REPOSITORY, model, version: registered.version, artifactSha256: registered.artifactSha256 });
    expect(first.reference).toBe(name.reference);
    expect(first.reference).toMatch(new RegExp(`:v${registered.version}-${registered.artifactSha256.slice(0, 16)}$`));
    expect(first.skipped).toBe(false);
    const served = await registryClient(credentials).manifestDigest(name.repository, name.tag);
    expect(first.digest).toBe(served);
    expect(await registryClient(credentials).isComplete(name.repository, name.tag)).toBe(true);
    // The registry really requires auth: the same question without credentials is refused.
    await expect(registryClient().manifestDigest(name.repository, name.tag)).rejects.toThrow(/requires authentication/);

    // Progress arrived as heartbeats: build steps in order, then push progress.
    const steps = beats.filter((b) => b.phase === 'build' && b.step !== undefined).map((b) => b.step!);
    expect(steps.length).toBeGreaterThanOrEqual(5);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(beats.some((b) => b.phase === 'push')).toBe(true);

    // The digest is in the version's lineage, and the engine's copy carries the same digest and the artifact's hash.
    const registry = await openRegistry({ kind: 'embedded' }, { dataDir });
    const version = await registry.getVersion(model, registered.version);
    await registry.close();
    expect(version?.lineage.servingImage).toEqual({ reference: first.reference, digest: first.digest, builtAt: expect.any(String) });
    const image = await docker.getImage(first.reference).inspect();
    expect(image.RepoDigests).toContain(`${REGISTRY_URL}/${name.repository}@${first.digest}`);
    expect(image.Config.Labels['io.mlops.artifact-sha256']).toBe(registered.artifactSha256);
  });

  it('skips a second build of the same version: the tag is already in the registry', async () => {
    expect(first, 'needs the first test').toBeDefined();
    // Even without the engine's copy the registry decides: nothing is built again.
    await docker.getImage(first.reference).remove({ force: true });
    const environment = new MockActivityEnvironment();
    const phases: string[] = [];
    environment.on('heartbeat', (details: { phase: string }) => phases.push(details.phase));

    const second = await environment.run(activities().buildServingImage, { definition: containerDefinition(model), version: registered.version });

    expect(second).toMatchObject({ reference: first.reference, digest: first.digest, skipped: true });
    expect(phases).not.toContain('build');
    expect(phases).not.toContain('push');
  });

  it('fails a broken Dockerfile with the failing step and its output, although the engine answered 200', async () => {
    const context = await mkdtemp(path.join(os.tmpdir(), 'mlops-broken-'));
    await writeFile(path.join(context, 'Dockerfile'), [
      'FROM mlops-node-base:20-bookworm-2',
      'RUN ["node", "-e", "console.log(\'compiling the model\'); console.error(\'fatal: feature table missing\'); process.exit(7)"]',
      'RUN ["node", "-e", "console.log(\'never reached\')"]',
      '',
    ].join('\n'));
    const error = await buildImage(docker, { contextDir: context, tags: ['mlops-test-broken:1'] }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ImageBuildError);
    const failure = error as ImageBuildError;
    expect(failure.step).toMatch(/^Step 2\/3 : RUN \["node", "-e"/);
    expect(failure.output).toEqual(expect.arrayContaining(['compiling the model', 'fatal: feature table missing']));
    expect(failure.engineMessage).toMatch(/returned a non-zero code: 7/);
    expect(failure.message).not.toContain('never reached');
  });

  it('fails the activity, without retries, when the serving image smoke test fails on its base', async () => {
    const brokenBase = await brokenNodeBaseImage(docker);
    const broken = uniqueModelName('broken');
    const { version } = await registerTrainedVersion(dataDir, broken);
    const environment = new MockActivityEnvironment();
    const error = await environment
      .run(activities().buildServingImage, { definition: containerDefinition(broken, { baseImage: brokenBase }), version })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApplicationFailure);
    const failure = error as ApplicationFailure;
    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe('ImageBuildError');
    expect(failure.message).toMatch(/at Step \d+\/\d+ : RUN \["node", "\/opt\/mlops\/server.mjs", "--check"\]/);
    expect(failure.message).toContain('broken runtime: node cannot start here');
    expect(await registryClient(credentials).tags(`${TEST_REPOSITORY}/${broken}`)).toEqual([]);
  });

  it('refuses to push without credentials, as a failure retrying cannot fix', async () => {
    const anonymous = uniqueModelName('anonymous');
    const { version } = await registerTrainedVersion(dataDir, anonymous);
    const error = await runServingImageJob({ definition: containerDefinition(anonymous), version, dataDir, heartbeat: () => undefined, env: {} }).catch((err: unknown) => err);
    expect(isPermanentImageFailure(error)).toBe(true);
    expect((error as Error).message).toMatch(/authentication/);
  });

  it('stops a cancelled build and leaves no tag', async () => {
    const cancelled = uniqueModelName('cancelled');
    const { version } = await registerTrainedVersion(dataDir, cancelled);
    const environment = new MockActivityEnvironment();
    environment.on('heartbeat', (details: { phase: string }) => {
      if (details.phase === 'build') environment.cancel();
    });
    const error = await environment.run(activities().buildServingImage, { definition: containerDefinition(cancelled), version }).catch((err: unknown) => err);
    expect(error).toBeDefined();
    expect((error as Error).name).toMatch(/Abort|Cancel/);
    expect(await registryClient(credentials).tags(`${TEST_REPOSITORY}/${cancelled}`)).toEqual([]);
  });

  afterAll(async () => {
    await removeModelImages(docker, [model]);
  });
});
