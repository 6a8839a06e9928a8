/**
 * Builds and pushes the serving image of one model version: the Node base, our model server in
 * one bundled file, and the version's artifact, under a content-addressed tag. Idempotent: a
 * complete tag already in the registry is the finished job (skipped); after a crash the rerun
 * rebuilds from the engine's cache and pushes again. A registry writes the tag only after every
 * blob is stored, so an interrupted push never leaves a half-pushed tag behind.
 */
import { cp, mkdir, mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type Docker from 'dockerode';
import { MODEL_FILE_NAMES, openScoringModel } from '../model/open-scoring-model.js';
import type { ModelFormat } from '../model/scoring-model.js';
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
    // Verified (and opened) before it goes into the image: only the registered bytes are ever served.
    const { model: opened } = await openScoringModel(request.artifactPath, request.artifactSha256);
    await opened.close();
    const format = opened.format;
    await copyFile(request.artifactPath, path.join(contextDir, MODEL_FILE_NAMES[format]));
    await writeFile(path.join(contextDir, 'server.mjs'), await servingEntryBundle());
    await writeFile(path.join(contextDir, 'Dockerfile'), servingDockerfile({ ...request, format }));
    const runtimeFiles = format === 'onnx' ? await copyOnnxRuntime(contextDir) : [];

    const buildStarted = performance.now();
    await buildImage(docker, {
      contextDir,
      files: ['Dockerfile', 'server.mjs', MODEL_FILE_NAMES[format], ...runtimeFiles],
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
export function servingDockerfile(request: Pick<ServingImageRequest, 'model' | 'version' | 'artifactSha256' | 'baseImage'> & { format?: ModelFormat }): string {
  const onnx = request.format === 'onnx';
  const artifactPath = onnx ? path.posix.join(path.posix.dirname(SERVING_ARTIFACT_PATH), MODEL_FILE_NAMES.onnx) : SERVING_ARTIFACT_PATH;
  return [
    `# The model server for ${request.model} v${request.version}, generated by mlops (src/build/serving-image.ts).`,
    `FROM ${request.baseImage}`,
    'COPY server.mjs /opt/mlops/server.mjs',
    ...(onnx ? ['# The ONNX runtime (Linux x64 native library) beside the bundle, where its import finds it.', 'COPY node_modules /opt/mlops/node_modules'] : []),
    `COPY ${onnx ? MODEL_FILE_NAMES.onnx : MODEL_FILE_NAMES.linear} ${artifactPath}`,
    `ENV MLOPS_MODEL=${JSON.stringify(request.model)} MLOPS_MODEL_VERSION=${JSON.stringify(String(request.version))} MLOPS_ARTIFACT_SHA256=${JSON.stringify(request.artifactSha256)} MLOPS_ARTIFACT_PATH=${JSON.stringify(artifactPath)} MLOPS_SERVING_HOST="0.0.0.0" MLOPS_SERVING_PORT="${SERVING_PORT}"`,
    '# Fails the build when the bundle does not run on the base or the model does not load.',
    'RUN ["node", "/opt/mlops/server.mjs", "--check"]',
    'USER 65534:65534',
    `EXPOSE ${SERVING_PORT}`,
    'HEALTHCHECK --interval=30s --timeout=3s --start-period=5s CMD ["node", "/opt/mlops/server.mjs", "--probe"]',
    'ENTRYPOINT ["node", "/opt/mlops/server.mjs"]',
    '',
  ].join('\n');
}

/**
 * onnxruntime-node and onnxruntime-common as the serving image needs them: the JavaScript, the
 * package manifests and the Linux x64 binaries only (not the other platforms' or the installer).
 * Returns the context-relative paths to send.
 */
async function copyOnnxRuntime(contextDir: string): Promise<string[]> {
  const require = createRequire(import.meta.url);
  const nodePackage = path.dirname(require.resolve('onnxruntime-node/package.json'));
  // onnxruntime-common's `exports` hide its package.json: resolve its entry and climb to the package.
  let commonPackage = createRequire(path.join(nodePackage, 'package.json')).resolve('onnxruntime-common');
  while (path.basename(commonPackage) !== 'onnxruntime-common' && path.dirname(commonPackage) !== commonPackage) commonPackage = path.dirname(commonPackage);
  const copies: Array<[string, string]> = [
    [path.join(nodePackage, 'package.json'), 'node_modules/onnxruntime-node/package.json'],
    [path.join(nodePackage, 'dist'), 'node_modules/onnxruntime-node/dist'],
    [path.join(nodePackage, 'bin/napi-v6/linux/x64'), 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64'],
    [path.join(commonPackage, 'package.json'), 'node_modules/onnxruntime-common/package.json'],
    [path.join(commonPackage, 'dist'), 'node_modules/onnxruntime-common/dist'],
  ];
  for (const [from, to] of copies) await cp(from, path.join(contextDir, to), { recursive: true });
  return copies.map(([, to]) => to);
}
