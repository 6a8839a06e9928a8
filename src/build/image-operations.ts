/**
 * Build, push and pull through dockerode, reading each progress stream to its end: the engine
 * answers HTTP 200 and reports a failure inside the stream, which these turn into errors.
 * Every call takes an AbortSignal; aborting closes the connection, which stops the engine's work.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import type { RegistryCredentials } from './image-registry-client.js';
import { engineAuthConfig } from './registry-credentials.js';
import {
  BuildTranscript,
  PushTranscript,
  pullError,
  readProgressEvents,
  type BuildProgress,
  type PushProgress,
} from './docker-progress.js';

export interface BuildImageOptions {
  contextDir: string;
  /** Files of the context relative to `contextDir`; default: every file under it (minus .dockerignore). */
  files?: string[];
  /** `name:tag` references given to the built image. */
  tags: string[];
  labels?: Record<string, string>;
  /** The network of RUN steps; `none` keeps builds hermetic (the default). */
  networkMode?: 'none' | 'host';
  signal?: AbortSignal;
  /** Each new step, and each line of output. */
  onProgress?: (progress: BuildProgress, line?: string) => void;
}

/** Builds with the classic builder and returns the image id; a failed step throws ImageBuildError. */
export async function buildImage(docker: Docker, options: BuildImageOptions): Promise<string> {
  const files = options.files ?? (await listContextFiles(options.contextDir));
  const stream = await docker.buildImage(
    { context: options.contextDir, src: files },
    {
      t: options.tags as unknown as string,
      labels: options.labels ?? {},
      networkmode: options.networkMode ?? 'none',
      rm: true,
      forcerm: true,
      abortSignal: options.signal,
    } as Docker.ImageBuildOptions,
  );
  const transcript = new BuildTranscript();
  for await (const event of readProgressEvents(stream)) {
    const newStep = transcript.add(event);
    if (newStep) options.onProgress?.(transcript.progress);
    if (event.stream?.trim()) options.onProgress?.(transcript.progress, event.stream.trim());
  }
  options.signal?.throwIfAborted();
  return transcript.finish();
}

export interface PushImageOptions {
  /** `host/repository` */
  repository: string;
  tag: string;
  registryHost: string;
  credentials?: RegistryCredentials;
  signal?: AbortSignal;
  onProgress?: (progress: PushProgress) => void;
}

/** Pushes `repository:tag` and returns the manifest digest the engine reports; failures throw ImagePushError. */
export async function pushImage(docker: Docker, options: PushImageOptions): Promise<string> {
  const stream = await docker.getImage(options.repository).push({
    tag: options.tag,
    authconfig: engineAuthConfig(options.credentials, options.registryHost),
    abortSignal: options.signal,
  } as unknown as Docker.ImagePushOptions);
  const transcript = new PushTranscript(`${options.repository}:${options.tag}`);
  let lastBeat = 0;
  for await (const event of readProgressEvents(stream)) {
    const layerDone = transcript.add(event);
    // Byte counts move many times a second; report them at most twice a second.
    if (layerDone || Date.now() - lastBeat > 500) {
      lastBeat = Date.now();
      options.onProgress?.(transcript.progress);
    }
  }
  options.signal?.throwIfAborted();
  return transcript.finish();
}

export class ImagePullError extends Error {
  override readonly name = 'ImagePullError';
  constructor(readonly reference: string, readonly engineMessage: string) {
    super(`pull of ${reference} failed: ${engineMessage}`);
  }
}

/** Pulls `reference` (a tag or `repo@sha256:…`). */
export async function pullImage(docker: Docker, reference: string, options: { credentials?: RegistryCredentials; signal?: AbortSignal } = {}): Promise<void> {
  const at = reference.indexOf('@');
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  const [fromImage, tag] =
    at >= 0 ? [reference.slice(0, at), reference.slice(at + 1)] : colon > slash ? [reference.slice(0, colon), reference.slice(colon + 1)] : [reference, 'latest'];
  const registryHost = fromImage.includes('/') && /[.:]|^localhost$/.test(fromImage.split('/')[0]!) ? fromImage.split('/')[0]! : 'docker.io';
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.createImage(engineAuthConfig(options.credentials, registryHost), { fromImage, tag, abortSignal: options.signal });
  } catch (err) {
    throw new ImagePullError(reference, (err as Error).message);
  }
  let failure: string | undefined;
  for await (const event of readProgressEvents(stream)) failure = pullError(event) ?? failure;
  options.signal?.throwIfAborted();
  if (failure !== undefined) throw new ImagePullError(reference, failure);
}

/** Every file under `dir`, relative, directories first-level down included (what `docker build dir` sends). */
export async function listContextFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() || e.isSymbolicLink())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}
