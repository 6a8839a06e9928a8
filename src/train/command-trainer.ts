/**
 * Runs a user's training command (any language, no shell) on the train and hold-out files and
 * checks what it leaves behind: `<output>/model/model.json` in our format, so we can evaluate
 * and serve it (or `model/model.onnx`), and `<output>/metrics.json`, a flat object of numbers it wants recorded.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ArtifactError } from './artifact-file.js';
import { MODEL_FILE_NAMES, openScoringModel } from '../model/open-scoring-model.js';

export interface CommandTrainerOptions {
  /** argv; `{train}`, `{holdout}` and `{output}` are replaced with the paths. */
  command: string[];
  workingDirectory?: string;
  env: Record<string, string>;
  timeoutMs: number;
  trainPath: string;
  holdoutPath: string;
  outputDir: string;
  signal?: AbortSignal;
  /** Each line the command prints, stdout and stderr alike. */
  onOutput?: (line: string) => void;
}

export interface CommandTrainerResult {
  modelDir: string;
  artifactPath: string;
  trainerMetrics: Record<string, number>;
  exitCode: number;
  seconds: number;
}

const OUTPUT_TAIL_LINES = 20;
// After SIGTERM the command gets this long to clean up before SIGKILL.
const KILL_GRACE_MS = 2_000;

/** The command failed to start, failed, ran out of time, or was cancelled. */
export class TrainerCommandError extends Error {
  override readonly name = 'TrainerCommandError';
  constructor(
    readonly reason: 'exit' | 'timeout' | 'aborted' | 'spawn',
    message: string,
    /** Null when it did not exit on its own (killed, or never started). */
    readonly exitCode: number | null,
    /** The last lines it printed, oldest first. */
    readonly outputTail: string[],
  ) {
    super(outputTail.length > 0 ? `${message}\n--- last ${outputTail.length} lines of output ---\n${outputTail.join('\n')}` : message);
  }
}

/** The command exited 0 but what it wrote is missing or unusable. */
export class TrainerOutputError extends Error {
  override readonly name = 'TrainerOutputError';
  constructor(readonly file: string, readonly problem: string, readonly key?: string) {
    super(`trainer output ${file}: ${problem}`);
  }
}

export async function runCommandTrainer(options: CommandTrainerOptions): Promise<CommandTrainerResult> {
  const outputDir = path.resolve(options.outputDir);
  const paths = { train: path.resolve(options.trainPath), holdout: path.resolve(options.holdoutPath), output: outputDir };
  await mkdir(outputDir, { recursive: true });
  const argv = options.command.map((arg) => arg.replaceAll('{train}', paths.train).replaceAll('{holdout}', paths.holdout).replaceAll('{output}', paths.output));
  const env = { ...process.env, ...options.env, MLOPS_TRAIN_DATA: paths.train, MLOPS_HOLDOUT_DATA: paths.holdout, MLOPS_OUTPUT_DIR: paths.output };

  const started = performance.now();
  const exitCode = await runToCompletion(argv, { cwd: options.workingDirectory, env, timeoutMs: options.timeoutMs, signal: options.signal, onOutput: options.onOutput });
  const seconds = (performance.now() - started) / 1000;

  return { ...(await collectTrainerOutput(outputDir)), exitCode, seconds };
}

/**
 * What every trainer must leave in its output dir: `model/model.json` (our linear format) or
 * `model/model.onnx` (any ONNX classifier), and `metrics.json`. The model is opened here, so a
 * file that is not a model, or one the runtime cannot load, fails the training step by name.
 */
export async function collectTrainerOutput(outputDir: string): Promise<{ modelDir: string; artifactPath: string; trainerMetrics: Record<string, number> }> {
  const modelDir = path.join(outputDir, 'model');
  const present = (await Promise.all(Object.values(MODEL_FILE_NAMES).map(async (name) => ((await isFile(path.join(modelDir, name))) ? name : undefined)))).filter(
    (name): name is string => name !== undefined,
  );
  if (present.length !== 1) {
    const expected = Object.values(MODEL_FILE_NAMES).map((name) => path.join(modelDir, name)).join(' or ');
    throw new TrainerOutputError(modelDir, present.length === 0 ? `no model: expected ${expected}` : `two models (${present.join(', ')}): write exactly one of ${expected}`);
  }
  const artifactPath = path.join(modelDir, present[0]!);
  try {
    const { model } = await openScoringModel(artifactPath);
    await model.close();
  } catch (err) {
    if (err instanceof ArtifactError) throw new TrainerOutputError(artifactPath, err.problem);
    throw err;
  }
  const trainerMetrics = await readTrainerMetrics(path.join(outputDir, 'metrics.json'));
  return { modelDir, artifactPath, trainerMetrics };
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

interface RunSettings {
  cwd: string | undefined;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  onOutput: ((line: string) => void) | undefined;
}

/** Resolves with exit code 0; anything else rejects with a TrainerCommandError. */
function runToCompletion(argv: string[], settings: RunSettings): Promise<number> {
  const [program, ...args] = argv as [string, ...string[]];
  const tail: string[] = [];
  const record = (line: string) => {
    tail.push(line);
    if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
    settings.onOutput?.(line);
  };
  if (settings.signal?.aborted) return Promise.reject(new TrainerCommandError('aborted', `training command ${program} was cancelled before it started`, null, []));

  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout or cancel also stops whatever the command started.
    const child = spawn(program, args, { cwd: settings.cwd, env: settings.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stopReason: 'timeout' | 'aborted' | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (reason: 'timeout' | 'aborted') => {
      if (stopReason) return;
      stopReason = reason;
      signalGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
    };
    const timeout = setTimeout(() => stop('timeout'), settings.timeoutMs);
    const onAbort = () => stop('aborted');
    settings.signal?.addEventListener('abort', onAbort);
    const cleanUp = () => {
      clearTimeout(timeout);
      clearTimeout(killTimer);
      settings.signal?.removeEventListener('abort', onAbort);
    };

    createInterface({ input: child.stdout! }).on('line', record);
    createInterface({ input: child.stderr! }).on('line', record);

    child.on('error', (err) => {
      cleanUp();
      reject(new TrainerCommandError('spawn', `training command ${program} could not start: ${err.message}`, null, [...tail]));
    });
    // The leader has exited; stop anything it left running in its group, so the pipes close.
    child.on('exit', () => signalGroup(child.pid, 'SIGKILL'));
    child.on('close', async (code, signal) => {
      cleanUp();
      // Settle only once the whole group is gone, so a retry never overlaps a dying run.
      await waitForGroupExit(child.pid);
      if (stopReason === 'timeout') {
        reject(new TrainerCommandError('timeout', `training command ${program} ran longer than ${settings.timeoutMs} ms and was killed`, null, [...tail]));
      } else if (stopReason === 'aborted') {
        reject(new TrainerCommandError('aborted', `training command ${program} was cancelled`, null, [...tail]));
      } else if (code !== 0) {
        const how = code === null ? `was killed by ${signal}` : `exited with code ${code}`;
        reject(new TrainerCommandError('exit', `training command ${program} ${how}`, code, [...tail]));
      } else {
        resolve(0);
      }
    });
  });
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

async function waitForGroupExit(pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  const deadline = Date.now() + KILL_GRACE_MS;
  while (groupExists(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

function groupExists(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `metrics.json`: a flat JSON object of finite numbers (shared with the container trainer). */
export async function readTrainerMetrics(file: string): Promise<Record<string, number>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TrainerOutputError(file, code === 'ENOENT' ? 'not found; the trainer must write a JSON object of metric numbers, e.g. {"train_log_loss": 0.41}' : (err as Error).message);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new TrainerOutputError(file, `not valid JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TrainerOutputError(file, `expected a JSON object of numbers, got ${Array.isArray(parsed) ? 'an array' : JSON.stringify(parsed)}`);
  }
  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new TrainerOutputError(file, `metric "${key}" must be a finite number, got ${JSON.stringify(value)}`, key);
    }
    metrics[key] = value;
  }
  return metrics;
}
