/**
 * Runs a trainer image on the train and hold-out splits, the way the command trainer runs a
 * command: the splits mounted read-only at /mlops/data, an empty output directory at
 * /mlops/output, CPU and memory limits, no network unless asked, output streamed line by line.
 * It must exit 0 and leave `model/model.json` (our format) and `metrics.json`, checked here.
 * The container is removed afterwards in every case (success, failure, timeout, cancellation);
 * one left by a crashed worker is removed by the retry, which reuses its name.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { dockerEngine, hasImage } from '../build/docker-engine.js';
import { pullImage } from '../build/image-operations.js';
import type { RegistryCredentials } from '../build/image-registry-client.js';
import { collectTrainerOutput } from './command-trainer.js';

export const CONTAINER_DATA_DIR = '/mlops/data';
export const CONTAINER_OUTPUT_DIR = '/mlops/output';

export interface ContainerTrainerOptions {
  image: string;
  /** Replaces the image's entrypoint and command; `{train}`, `{holdout}`, `{output}` become container paths. */
  command?: string[];
  env: Record<string, string>;
  cpus: number;
  memoryBytes: number;
  network: 'none' | 'host';
  timeoutMs: number;
  /** Host directory with the splits (mounted read-only). */
  splitsDir: string;
  trainFile: string;
  holdoutFile: string;
  /** Host directory for the trainer's output (emptied first). */
  outputDir: string;
  /** Stable across retries of the same run, so a retry removes a crashed attempt's container. */
  containerName: string;
  pullCredentials?: RegistryCredentials;
  signal?: AbortSignal;
  /** Each line the trainer prints, stdout and stderr alike. */
  onOutput?: (line: string) => void;
  docker?: Docker;
}

export interface ContainerTrainerResult {
  modelDir: string;
  artifactPath: string;
  trainerMetrics: Record<string, number>;
  exitCode: number;
  seconds: number;
  /** The image id that ran (`sha256:…`), for the lineage. */
  imageId: string;
}

/** The trainer image could not be found or pulled, exited non-zero, ran out of time or memory, or was cancelled. */
export class ContainerTrainerError extends Error {
  override readonly name = 'ContainerTrainerError';
  constructor(
    readonly reason: 'image' | 'exit' | 'oom' | 'timeout' | 'aborted',
    message: string,
    readonly exitCode: number | null,
    readonly outputTail: string[],
  ) {
    super(outputTail.length > 0 ? `${message}\n--- last ${outputTail.length} lines of output ---\n${outputTail.join('\n')}` : message);
  }
}

const OUTPUT_TAIL_LINES = 20;
const STOP_GRACE_SECONDS = 2;

/** `mlops-train-<hash of the run directory>`: the same for every attempt of one run, so a retry finds a crashed attempt's container. */
export function trainingContainerName(runDir: string): string {
  return `mlops-train-${createHash('sha256').update(path.resolve(runDir)).digest('hex').slice(0, 16)}`;
}

export async function runContainerTrainer(options: ContainerTrainerOptions): Promise<ContainerTrainerResult> {
  const docker = options.docker ?? dockerEngine();
  const outputDir = path.resolve(options.outputDir);
  const imageId = await ensureTrainerImage(docker, options);
  await removeContainer(docker, options.containerName);
  // A retry must not pass on files an earlier attempt left behind.
  await rm(outputDir, { recursive: true, force: true });
  await mkdir(outputDir, { recursive: true });
  if (options.signal?.aborted) throw new ContainerTrainerError('aborted', `trainer ${options.image} was cancelled before it started`, null, []);

  const started = performance.now();
  const tail: string[] = [];
  const record = (line: string) => {
    tail.push(line);
    if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
    options.onOutput?.(line);
  };
  const container = await docker.createContainer(createOptions(options, outputDir));
  try {
    await container.start();
    // The engine's log of the container from its first byte, followed: not a line can be missed
    // (a cancellation may wait on one), however late this call comes. An attach made before the
    // start was seen to end at once under load, and every later line was lost.
    const logs = await streamOutput(container, record);
    const { exitCode, stopReason } = await waitForExit(container, options);
    await logs.done;
    const state = (await container.inspect()).State;
    if (stopReason === 'timeout') throw new ContainerTrainerError('timeout', `trainer ${options.image} ran longer than ${options.timeoutMs} ms and was killed`, null, [...tail]);
    if (stopReason === 'aborted') throw new ContainerTrainerError('aborted', `trainer ${options.image} was cancelled`, null, [...tail]);
    if (state.OOMKilled) throw new ContainerTrainerError('oom', `trainer ${options.image} was killed: out of memory (limit ${options.memoryBytes} bytes, train.memory)`, exitCode, [...tail]);
    if (exitCode !== 0) throw new ContainerTrainerError('exit', `trainer ${options.image} exited with code ${exitCode}`, exitCode, [...tail]);
  } finally {
    await removeContainer(docker, options.containerName);
  }
  const seconds = (performance.now() - started) / 1000;

  return { ...(await collectTrainerOutput(outputDir)), exitCode: 0, seconds, imageId };
}

function createOptions(options: ContainerTrainerOptions, outputDir: string): Docker.ContainerCreateOptions {
  const paths = {
    train: `${CONTAINER_DATA_DIR}/${options.trainFile}`,
    holdout: `${CONTAINER_DATA_DIR}/${options.holdoutFile}`,
    output: CONTAINER_OUTPUT_DIR,
  };
  const env = {
    HOME: '/tmp',
    ...options.env,
    MLOPS_TRAIN_DATA: paths.train,
    MLOPS_HOLDOUT_DATA: paths.holdout,
    MLOPS_OUTPUT_DIR: paths.output,
  };
  const argv = options.command?.map((arg) => arg.replaceAll('{train}', paths.train).replaceAll('{holdout}', paths.holdout).replaceAll('{output}', paths.output));
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  return {
    name: options.containerName,
    Image: options.image,
    // The whole argv, entrypoint included: what the definition says is what runs.
    ...(argv ? { Entrypoint: argv.slice(0, 1), Cmd: argv.slice(1) } : {}),
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    // The worker's user, so the output files belong to it.
    User: `${uid}:${gid}`,
    Labels: { 'io.mlops.role': 'trainer' },
    HostConfig: {
      Binds: [`${path.resolve(options.splitsDir)}:${CONTAINER_DATA_DIR}:ro`, `${outputDir}:${CONTAINER_OUTPUT_DIR}:rw`],
      NanoCpus: Math.round(options.cpus * 1e9),
      Memory: options.memoryBytes,
      MemorySwap: options.memoryBytes,
      NetworkMode: options.network,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
    },
  };
}

async function ensureTrainerImage(docker: Docker, options: ContainerTrainerOptions): Promise<string> {
  if (!(await hasImage(docker, options.image))) {
    try {
      await pullImage(docker, options.image, { credentials: options.pullCredentials, signal: options.signal });
    } catch (err) {
      throw new ContainerTrainerError('image', `trainer image ${options.image} (train.image) is not in the Docker engine and could not be pulled: ${(err as Error).message}`, null, []);
    }
  }
  return (await docker.getImage(options.image).inspect()).Id;
}

/**
 * Follows the container's stdout and stderr from its first line, in the order the engine sent
 * them: its multiplexed stream is 8-byte frame headers (stream, length) and payloads.
 */
async function streamOutput(container: Docker.Container, onLine: (line: string) => void): Promise<{ done: Promise<void> }> {
  const stream = (await container.logs({ follow: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadableStream;
  // Wrapped: an async function returning the promise itself would wait for the stream to end.
  return { done: followFrames(stream, onLine) };
}

async function followFrames(stream: NodeJS.ReadableStream, onLine: (line: string) => void): Promise<void> {
  const partial: Record<number, string> = { 1: '', 2: '' };
  const emit = (kind: number, text: string) => {
    const lines = (partial[kind]! + text).split(/\r?\n/);
    partial[kind] = lines.pop()!;
    for (const line of lines) onLine(line);
  };
  let pending = Buffer.alloc(0);
  await new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 8) {
        const size = pending.readUInt32BE(4);
        if (pending.length < 8 + size) break;
        emit(pending[0] === 2 ? 2 : 1, pending.subarray(8, 8 + size).toString('utf8'));
        pending = pending.subarray(8 + size);
      }
    });
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
  for (const kind of [1, 2]) if (partial[kind]) onLine(partial[kind]!);
}

async function waitForExit(container: Docker.Container, options: ContainerTrainerOptions): Promise<{ exitCode: number; stopReason?: 'timeout' | 'aborted' }> {
  let stopReason: 'timeout' | 'aborted' | undefined;
  const stop = (reason: 'timeout' | 'aborted') => {
    if (stopReason) return;
    stopReason = reason;
    container.stop({ t: STOP_GRACE_SECONDS }).catch(() => undefined);
  };
  const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
  const onAbort = () => stop('aborted');
  options.signal?.addEventListener('abort', onAbort);
  try {
    const result = (await container.wait()) as { StatusCode: number };
    return { exitCode: result.StatusCode, stopReason };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

async function removeContainer(docker: Docker, name: string): Promise<void> {
  try {
    await docker.getContainer(name).remove({ force: true });
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== 404 && status !== 409) throw err;
  }
}
