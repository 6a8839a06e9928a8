/**
 * Builds and pushes the serving image of one model version: the Node base, our model server in
 * one bundled file, and the version's artifact, under a content-addressed tag. Idempotent: a
 * complete tag already in the registry is the finished job (skipped); after a crash the rerun
 * rebuilds from the engine's cache and pushes again. A registry writes the tag only after every
 * blob is stored, so an interrupted push never leaves a half-pushed tag behind.
 */
import { mkdir, mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import { readArtifact } from '../train/artifact-file.js';
import { servingImageName, type ServingImageName } from './image-name.js';
import { ImageRegistryClient, type RegistryCredentials } from './image-registry-client.js';
import { buildImage, pushImage } from './image-operations.js';
import { hasImage } from './docker-engine.js';
import { servingEntryBundle } from './serving-image-bundle.js';
import { SERVING_ARTIFACT_PATH } from './serving-image-constants.js';
import type { BuildProgress, PushProgress } from './docker-progress.js';

export interface ServingImageRequest {
  model: string;
  version: number;
  /** A local copy of the registered artifact; its sha256 must be `artifactSha256`. */
  artifactPath: string;
  artifactSha256: string;
  registryUrl: string;
  repository: string;
  credentials?: RegistryCredentials;
  baseImage: string;
  /** Scratch space for the build context (removed afterwards). */
  workDir: string;
  signal?: AbortSignal;
  onProgress?: (progress: ServingImageProgress) => void;
}

export type ServingImageProgress = { phase: 'check' | 'bundle' } | BuildProgress | PushProgress | { phase: 'verify' };

export interface ServingImage extends ServingImageName {
  /** The manifest digest in the registry (`sha256:…`): pull `<host>/<repository>@<digest>` for exactly these bytes. */
  digest: string;
  /** True when the tag was already in the registry and nothing was built. */
  skipped: boolean;
  buildSeconds: number;
  pushSeconds: number;
}

/** The base image is not in the engine (nothing can be pulled offline): say how to make it. */
export class BaseImageMissing extends Error {
  override readonly name = 'BaseImageMissing';
}

/** The registry serves another digest than the one the engine pushed. */
export class ImageDigestMismatch extends Error {
  override readonly name = 'ImageDigestMismatch';
}

export const SERVING_PORT = 8080;

export async function buildServingImage(docker: Docker, request: ServingImageRequest): Promise<ServingImage> {
  const name = servingImageName({ registryUrl: request.registryUrl, repository: request.repository, model: request.model, version: request.version, artifactSha256: request.artifactSha256 });
  const registry = new ImageRegistryClient({ url: request.registryUrl, credentials: request.credentials });

  request.onProgress?.({ phase: 'check' });
  const existing = await registry.manifestDigest(name.repository, name.tag);
  if (existing && (await registry.isComplete(name.repository, name.tag))) {
    return { ...name, digest: existing, skipped: true, buildSeconds: 0, pushSeconds: 0 };
  }
  if (!(await hasImage(docker, request.baseImage))) {
    throw new BaseImageMissing(`base image ${request.baseImage} (deploy.container.baseImage) is not in the Docker engine; build it with scripts/base-images, or name a Node 20 image the engine has`);
  }

  await mkdir(request.workDir, { recursive: true });
  const contextDir = await mkdtemp(path.join(request.workDir, 'serving-image-'));
  try {
    request.onProgress?.({ phase: 'bundle' });
    // Verified before it goes into the image: only the registered bytes are ever served.
    await readArtifact(request.artifactPath, request.artifactSha256);
    await copyFile(request.artifactPath, path.join(contextDir, 'model.json'));
    await writeFile(path.join(contextDir, 'server.mjs'), await servingEntryBundle());
    await writeFile(path.join(contextDir, 'Dockerfile'), servingDockerfile(request));

    const buildStarted = performance.now();
    await buildImage(docker, {
      contextDir,
      files: ['Dockerfile', 'server.mjs', 'model.json'],
      tags: [name.reference],
      labels: servingImageLabels(request),
      networkMode: 'none',
      signal: request.signal,
      onProgress: (progress, line) => (line === undefined ? request.onProgress?.(progress) : undefined),
    });
    const buildSeconds = (performance.now() - buildStarted) / 1000;

    const pushStarted = performance.now();
    const digest = await pushImage(docker, {
      repository: `${name.registryHost}/${name.repository}`,
      tag: name.tag,
      registryHost: name.registryHost,
      credentials: request.credentials,
      signal: request.signal,
      onProgress: (progress) => request.onProgress?.(progress),
    });
    const pushSeconds = (performance.now() - pushStarted) / 1000;

    request.onProgress?.({ phase: 'verify' });
    const served = await registry.manifestDigest(name.repository, name.tag);
    if (served !== digest) throw new ImageDigestMismatch(`the engine pushed ${name.reference} as ${digest} but the registry serves ${served ?? 'nothing'} for it`);
    return { ...name, digest, skipped: false, buildSeconds, pushSeconds };
  } finally {
    await rm(contextDir, { recursive: true, force: true });
  }
}

export function servingImageLabels(request: Pick<ServingImageRequest, 'model' | 'version' | 'artifactSha256'>): Record<string, string> {
  return {
    'io.mlops.model': request.model,
    'io.mlops.version': String(request.version),
    'io.mlops.artifact-sha256': request.artifactSha256,
    'org.opencontainers.image.title': `${request.model} v${request.version} model server`,
  };
}

/** Classic-builder Dockerfile: FROM a local base plus COPY (nothing is fetched), and a smoke test. */
export function servingDockerfile(request: Pick<ServingImageRequest, 'model' | 'version' | 'artifactSha256' | 'baseImage'>): string {
  return [
    `# The model server for ${request.model} v${request.version}, generated by mlops (src/build/serving-image.ts).`,
    `FROM ${request.baseImage}`,
    'COPY server.mjs /opt/mlops/server.mjs',
    `COPY model.json ${SERVING_ARTIFACT_PATH}`,
    `ENV MLOPS_MODEL=${JSON.stringify(request.model)} MLOPS_MODEL_VERSION=${JSON.stringify(String(request.version))} MLOPS_ARTIFACT_SHA256=${JSON.stringify(request.artifactSha256)} MLOPS_SERVING_HOST="0.0.0.0" MLOPS_SERVING_PORT="${SERVING_PORT}"`,
    '# Fails the build when the bundle does not run on the base or the model does not load.',
    'RUN ["node", "/opt/mlops/server.mjs", "--check"]',
    'USER 65534:65534',
    `EXPOSE ${SERVING_PORT}`,
    'HEALTHCHECK --interval=30s --timeout=3s --start-period=5s CMD ["node", "/opt/mlops/server.mjs", "--probe"]',
    'ENTRYPOINT ["node", "/opt/mlops/server.mjs"]',
    '',
  ].join('\n');
}
