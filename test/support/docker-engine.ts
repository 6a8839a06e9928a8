/**
 * The real Docker engine and image registry for integration tests: started by
 * scripts/docker-engine (idempotent), base images by scripts/base-images (built once, cached).
 * When the machine truly cannot run them, `dockerForTests()` says why and the tests skip with a
 * loud banner instead of failing on something unrelated to the code.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { dockerEngine, hasImage } from '../../src/build/docker-engine.js';
import { buildImage } from '../../src/build/image-operations.js';
import { ImageRegistryClient, type RegistryCredentials } from '../../src/build/image-registry-client.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

export const REGISTRY_URL = '127.0.0.1:5001';
export const NODE_BASE_IMAGE = 'mlops-node-base:20-bookworm-2';
export const SKLEARN_TRAINER_IMAGE = 'mlops-example-sklearn:2';

export type DockerForTests = { ok: true; docker: Docker; credentials: RegistryCredentials } | { ok: false; reason: string };

let prepared: Promise<DockerForTests> | undefined;

/** Starts (or finds) the engine and registry and the base images; sets the registry env vars for workers. */
export function dockerForTests(): Promise<DockerForTests> {
  prepared ??= prepare();
  return prepared;
}

async function prepare(): Promise<DockerForTests> {
  try {
    await run(path.join(root, 'scripts/docker-engine'), ['start'], { cwd: root, timeout: 300_000 });
    await run(path.join(root, 'scripts/base-images'), ['build'], { cwd: root, timeout: 1_200_000 });
    const { stdout } = await run(path.join(root, 'scripts/docker-engine'), ['env'], { cwd: root });
    for (const match of stdout.matchAll(/^export (\w+)=(.*)$/gm)) process.env[match[1]!] = match[2]!;
    const credentials = { username: process.env.MLOPS_REGISTRY_USERNAME!, password: process.env.MLOPS_REGISTRY_PASSWORD! };
    const docker = dockerEngine();
    await docker.ping();
    return { ok: true, docker, credentials };
  } catch (err) {
    const e = err as Error & { stderr?: string };
    const reason = `${e.message}${e.stderr ? `\n${e.stderr}` : ''}`;
    const bar = '!'.repeat(100);
    console.error(`\n${bar}\n!! DOCKER ENGINE OR REGISTRY UNAVAILABLE: the container tests are SKIPPED, not passed.\n!! ${reason.split('\n').join('\n!! ')}\n${bar}\n`);
    return { ok: false, reason };
  }
}

export function registryClient(credentials?: RegistryCredentials): ImageRegistryClient {
  return new ImageRegistryClient({ url: REGISTRY_URL, credentials });
}

/** The example trainer image from examples/sklearn/Dockerfile (the engine's cache makes a rebuild instant). */
export async function sklearnTrainerImage(docker: Docker): Promise<string> {
  if (!(await hasImage(docker, SKLEARN_TRAINER_IMAGE))) {
    // The wheels beyond the Debian base (pandas, skl2onnx, onnx), from the cache or PyPI, into the context.
    await promisify(execFile)(path.join(root, 'examples/sklearn/fetch-wheels'), { timeout: 600_000 });
    await buildImage(docker, { contextDir: path.join(root, 'examples/sklearn'), tags: [SKLEARN_TRAINER_IMAGE] });
  }
  return SKLEARN_TRAINER_IMAGE;
}

/**
 * A Node base whose `node` prints a message and exits 3: the serving image's build-time check
 * (`RUN node server.mjs --check`) fails on it, like a base with a broken runtime would.
 */
export async function brokenNodeBaseImage(docker: Docker): Promise<string> {
  const tag = 'mlops-test-broken-node-base:2';
  if (await hasImage(docker, tag)) return tag;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mlops-broken-base-'));
  await writeFile(path.join(dir, 'node'), '#!/bin/sh\necho "broken runtime: node cannot start here" >&2\nexit 3\n', { mode: 0o755 });
  await writeFile(path.join(dir, 'Dockerfile'), `FROM ${NODE_BASE_IMAGE}\nCOPY node /usr/local/bin/node\n`);
  await buildImage(docker, { contextDir: dir, tags: [tag] });
  return tag;
}

/** Removes every container the container target or trainer made for `model` (test clean-up). */
export async function removeModelContainers(docker: Docker, model: string): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`io.mlops.model=${model}`] } });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}

/** A unique model name, so each test run pushes to its own repository and nothing is skipped by accident. */
export function uniqueModelName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** Removes the engine's copies of the models' pushed images (the registry keeps them, as a real one would). */
export async function removeModelImages(docker: Docker, models: string[]): Promise<void> {
  const images = await docker.listImages();
  const ours = images.filter((image) => (image.RepoTags ?? []).some((tag) => models.some((model) => tag.includes(`/${model}:`))));
  for (const image of ours) await docker.getImage(image.Id).remove({ force: true }).catch(() => undefined);
}
