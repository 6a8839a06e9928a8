/**
 * The Docker engine's progress streams (build, push, pull) are JSON objects, one per line, sent
 * with HTTP 200 even when the operation fails: a failure arrives as an `error`/`errorDetail`
 * object in the stream. These transcripts read the events and say what happened, so a failed
 * step is never mistaken for success.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export interface DockerProgressEvent {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: { ID?: string; Tag?: string; Digest?: string; Size?: number };
}

/** Each JSON object of a progress stream; a line that is not JSON becomes `{ stream: line }`. */
export async function* readProgressEvents(stream: Readable | NodeJS.ReadableStream): AsyncGenerator<DockerProgressEvent> {
  const lines = createInterface({ input: stream as Readable, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    try {
      yield JSON.parse(line) as DockerProgressEvent;
    } catch {
      yield { stream: `${line}\n` };
    }
  }
}

const OUTPUT_TAIL_LINES = 30;
// eslint-disable-next-line no-control-regex
const ANSI_ESCAPE = /\u001b\[[0-9;]*[A-Za-z]/g;

/** A build step failed (its RUN exited non-zero, a COPY source is missing, the base image is absent, ...). */
export class ImageBuildError extends Error {
  override readonly name = 'ImageBuildError';
  constructor(
    /** `Step 3/7 : RUN make`, or undefined when the build failed before its first step. */
    readonly step: string | undefined,
    readonly engineMessage: string,
    /** The last lines the failing step printed, oldest first. */
    readonly output: string[],
  ) {
    super(
      `image build failed${step ? ` at ${step}` : ''}: ${engineMessage}` +
        (output.length > 0 ? `\n--- output of the failing step (last ${output.length} lines) ---\n${output.join('\n')}` : ''),
    );
  }
}

/** A push was refused or broke off (authentication, a missing layer, the registry going away). */
export class ImagePushError extends Error {
  override readonly name = 'ImagePushError';
  constructor(readonly reference: string, readonly engineMessage: string) {
    super(`push of ${reference} failed: ${engineMessage}`);
  }
}

export interface BuildProgress {
  phase: 'build';
  /** 1-based, from the engine's `Step n/m` lines. */
  step?: number;
  steps?: number;
  instruction?: string;
}

/** Follows one classic-builder build: the current step, its output, the built image id, the error. */
export class BuildTranscript {
  private stepLine: string | undefined;
  private stepOutput: string[] = [];
  private error: string | undefined;
  imageId: string | undefined;
  progress: BuildProgress = { phase: 'build' };

  /** Returns true when the event moved the build to a new step (worth a heartbeat). */
  add(event: DockerProgressEvent): boolean {
    if (event.error !== undefined || event.errorDetail?.message !== undefined) {
      this.error = (event.errorDetail?.message ?? event.error ?? 'unknown error').trim();
      return false;
    }
    if (event.aux?.ID) this.imageId = event.aux.ID;
    const text = event.stream ?? (event.status !== undefined ? `${event.status}${event.progress ? ` ${event.progress}` : ''}\n` : undefined);
    if (text === undefined) return false;
    let newStep = false;
    for (const raw of text.split('\n')) {
      // RUN output keeps the colours the builder adds to stderr; the error message must not.
      const line = raw.replace(ANSI_ESCAPE, '');
      if (line.trim() === '' || /^Removing intermediate container [0-9a-f]+$/.test(line.trim())) continue;
      const step = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
      if (step) {
        this.stepLine = line;
        this.stepOutput = [];
        this.progress = { phase: 'build', step: Number(step[1]), steps: Number(step[2]), instruction: step[3] };
        newStep = true;
        continue;
      }
      const built = /^Successfully built ([0-9a-f]+)$/.exec(line.trim());
      if (built && !this.imageId) this.imageId = built[1];
      this.stepOutput.push(line.replace(/\s+$/, ''));
      if (this.stepOutput.length > OUTPUT_TAIL_LINES) this.stepOutput.shift();
    }
    return newStep;
  }

  /** The image id, or the ImageBuildError naming the failing step and its output. */
  finish(): string {
    if (this.error !== undefined) throw new ImageBuildError(this.stepLine, this.error, this.stepOutput.filter((l) => !/^ ---> /.test(l)));
    if (!this.imageId) throw new ImageBuildError(this.stepLine, 'the engine ended the build without reporting an image', this.stepOutput);
    return this.imageId;
  }
}

export interface PushProgress {
  phase: 'push';
  layers: number;
  layersDone: number;
  bytesSent: number;
}

/** Follows one push: per-layer state, the pushed manifest's digest, the error. */
export class PushTranscript {
  private readonly layers = new Map<string, { done: boolean; current: number }>();
  private error: string | undefined;
  digest: string | undefined;
  size: number | undefined;

  constructor(readonly reference: string) {}

  /** Returns true when a layer finished (worth a heartbeat). */
  add(event: DockerProgressEvent): boolean {
    if (event.error !== undefined || event.errorDetail?.message !== undefined) {
      this.error = (event.errorDetail?.message ?? event.error ?? 'unknown error').trim();
      return false;
    }
    if (event.aux?.Digest) {
      this.digest = event.aux.Digest;
      this.size = event.aux.Size;
    }
    if (!event.id || !event.status) return false;
    const layer = this.layers.get(event.id) ?? { done: false, current: 0 };
    this.layers.set(event.id, layer);
    if (event.progressDetail?.current !== undefined) layer.current = event.progressDetail.current;
    const done = event.status === 'Pushed' || event.status === 'Layer already exists' || event.status.startsWith('Mounted from');
    const finished = done && !layer.done;
    if (done) layer.done = true;
    return finished;
  }

  get progress(): PushProgress {
    const layers = [...this.layers.values()];
    return { phase: 'push', layers: layers.length, layersDone: layers.filter((l) => l.done).length, bytesSent: layers.reduce((sum, l) => sum + l.current, 0) };
  }

  /** The digest of the pushed manifest, or the ImagePushError. */
  finish(): string {
    if (this.error !== undefined) throw new ImagePushError(this.reference, this.error);
    if (!this.digest) throw new ImagePushError(this.reference, 'the engine ended the push without reporting a digest');
    return this.digest;
  }
}

/** Follows a pull; only the error matters. */
export function pullError(event: DockerProgressEvent): string | undefined {
  return event.error !== undefined || event.errorDetail?.message !== undefined ? (event.errorDetail?.message ?? event.error)!.trim() : undefined;
}
