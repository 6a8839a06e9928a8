/**
 * The pipeline's image step for one registered version: fetch the registered artifact (verified),
 * build and push its serving image (or find it already pushed), and record the digest in the
 * version's lineage. Every part is idempotent, so a retried activity finishes the job.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import type { PipelineDefinition } from '../spec/schema.js';
import { containerDeploySettings } from '../spec/schema.js';
import { openRegistry } from '../registry/open-registry.js';
import { ModelNotFoundError, type ModelRegistry, type ServingImageRecord } from '../registry/model-registry.js';
import { checkDockerEngine, dockerEngine } from './docker-engine.js';
import { registryCredentials } from './registry-credentials.js';
import { buildServingImage, type ServingImage, type ServingImageProgress } from './serving-image.js';

export interface ServingImageJob {
  definition: PipelineDefinition;
  version: number;
  dataDir: string;
  heartbeat: (details: unknown) => void;
  signal?: AbortSignal;
  docker?: Docker;
  env?: NodeJS.ProcessEnv;
}

export type ServingImageSummary = Pick<ServingImage, 'reference' | 'digest' | 'skipped' | 'buildSeconds' | 'pushSeconds'>;

/** Name of the attachment that holds the record when the registry adapter has no `recordServingImage`. */
export const SERVING_IMAGE_ATTACHMENT = 'serving-image.json';

export async function runServingImageJob(job: ServingImageJob): Promise<ServingImageSummary> {
  const { definition, version } = job;
  if (!definition.deploy) throw new Error('the serving image is built only for definitions with a deploy section');
  const settings = containerDeploySettings(definition.deploy);
  const credentials = registryCredentials(settings.registry, job.env);
  const docker = job.docker ?? dockerEngine();
  await checkDockerEngine(docker);

  await mkdir(path.join(job.dataDir, 'builds'), { recursive: true });
  const workDir = await mkdtemp(path.join(job.dataDir, 'builds', `${definition.model}-v${version}-`));
  try {
    // The registry is open only to read the artifact and to record the result, not during the build.
    const { artifactPath, artifactSha256 } = await withRegistry(job, async (registry) => {
      const registered = await registry.getVersion(definition.model, version);
      if (!registered) throw new ModelNotFoundError(`model "${definition.model}" has no version ${version} in the registry`);
      const artifact = await registry.downloadArtifact(definition.model, version, path.join(workDir, 'model.artifact'));
      return { artifactPath: artifact.path, artifactSha256: registered.artifactSha256 };
    });

    let last = '';
    const image = await buildServingImage(docker, {
      model: definition.model,
      version,
      artifactPath,
      artifactSha256,
      registryUrl: settings.registry.url,
      repository: settings.repository,
      credentials,
      baseImage: settings.baseImage,
      workDir,
      signal: job.signal,
      onProgress: (progress: ServingImageProgress) => {
        const line = describeProgress(progress);
        if (line !== last) job.heartbeat({ ...progress, line });
        last = line;
      },
    });
    const record = { reference: image.reference, digest: image.digest, builtAt: new Date().toISOString() };
    await withRegistry(job, (registry) => recordServingImage(registry, definition.model, version, record, workDir));
    return { reference: image.reference, digest: image.digest, skipped: image.skipped, buildSeconds: image.buildSeconds, pushSeconds: image.pushSeconds };
  } catch (err) {
    // A cancelled build surfaces as a broken connection; report the cancellation itself.
    if (job.signal?.aborted) throw job.signal.reason ?? err;
    throw err;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function withRegistry<T>(job: ServingImageJob, use: (registry: ModelRegistry) => Promise<T>): Promise<T> {
  const registry = await openRegistry(job.definition.registry, { dataDir: job.dataDir });
  try {
    return await use(registry);
  } finally {
    await registry.close();
  }
}

async function recordServingImage(registry: ModelRegistry, model: string, version: number, image: ServingImageRecord, workDir: string): Promise<void> {
  if (registry.recordServingImage) {
    await registry.recordServingImage(model, version, image);
    return;
  }
  const file = path.join(workDir, SERVING_IMAGE_ATTACHMENT);
  await writeFile(file, `${JSON.stringify(image, null, 2)}\n`);
  await registry.attachFile(model, version, SERVING_IMAGE_ATTACHMENT, file);
}

function describeProgress(progress: ServingImageProgress): string {
  switch (progress.phase) {
    case 'check':
      return 'looking for the tag in the image registry';
    case 'bundle':
      return 'assembling the build context';
    case 'build':
      return progress.step ? `build step ${progress.step}/${progress.steps}: ${progress.instruction}` : 'build starting';
    case 'push':
      return `push: ${progress.layersDone}/${progress.layers} layers, ${(progress.bytesSent / 1e6).toFixed(1)} MB`;
    case 'verify':
      return 'checking the digest the registry serves';
  }
}

/** Failures a retry cannot fix: a broken build step, a missing base image, bad or missing credentials, a missing version. */
export function isPermanentImageFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (['ImageBuildError', 'BaseImageMissing', 'RegistryCredentialsError', 'ModelNotFoundError', 'ArtifactError', 'ArtifactIntegrityError'].includes(err.name)) return true;
  const status = (err as { status?: number }).status;
  if (err.name === 'RegistryRequestError' && status === 401) return true;
  return err.name === 'ImagePushError' && /unauthorized|authentication required|denied/i.test(err.message);
}
