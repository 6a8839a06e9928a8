import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINEAR_MODEL_FORMAT, type LinearModelArtifact } from '../../../src/train/artifact.js';
import { readArtifact } from '../../../src/train/artifact-file.js';
import { runCommandTrainer, TrainerCommandError, TrainerOutputError, type CommandTrainerOptions } from '../../../src/train/command-trainer.js';
import { scoreRecord } from '../../../src/train/predict.js';

const node = process.execPath;
const exampleTrainer = fileURLToPath(new URL('../../../examples/command-trainer/train.mjs', import.meta.url));

const validModel: LinearModelArtifact = {
  format: LINEAR_MODEL_FORMAT, model: 'm', algorithm: 'logistic_regression', target: 'label',
  features: [{ name: 'x', kind: 'numeric', mean: 0, std: 1 }], intercept: 0, weights: [1],
  params: { l2: 1, maxIterations: 1, tolerance: 0, minCategoryCount: 1 },
  training: { rows: 1, positives: 1, iterations: 1, converged: true, finalLoss: 1, seconds: 0, seed: 0 },
  createdAt: '2024-01-01T00:00:00.000Z',
};

/** A node -e script that writes the given model and metrics JSON texts into the output directory. */
function writesOutputs(model: string | undefined, metrics: string | undefined): string[] {
  const script = `
    const fs = require('node:fs'); const path = require('node:path'); const out = process.env.MLOPS_OUTPUT_DIR;
    const [model, metrics] = process.argv.slice(1);
    if (model !== '-') { fs.mkdirSync(path.join(out, 'model'), { recursive: true }); fs.writeFileSync(path.join(out, 'model', 'model.json'), model); }
    if (metrics !== '-') fs.writeFileSync(path.join(out, 'metrics.json'), metrics);`;
  return [node, '-e', script, model ?? '-', metrics ?? '-'];
}

let dir: string;
let trainPath: string;
let holdoutPath: string;
let runs = 0;

/** Seeded rows where label depends on x1 and x2; `note` is text and must be ignored by the example. */
function csv(rowCount: number, seed: number): string {
  let state = seed;
  const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const lines = ['x1,x2,flag,note,label'];
  for (let i = 0; i < rowCount; i++) {
    const x1 = random() * 10;
    const x2 = random() * 4 - 2;
    const flag = random() < 0.5;
    const p = 1 / (1 + Math.exp(-(0.8 * (x1 - 5) - 1.5 * x2 + (flag ? 0.5 : 0))));
    const missing = random() < 0.03;
    lines.push(`${missing ? '' : x1.toFixed(4)},${x2.toFixed(4)},${flag},"n, ""${i}""",${random() < p ? 1 : 0}`);
  }
  return `${lines.join('\n')}\n`;
}

function options(overrides: Partial<CommandTrainerOptions>): CommandTrainerOptions {
  return { command: [node, '-e', ''], env: {}, timeoutMs: 20_000, trainPath, holdoutPath, outputDir: path.join(dir, `run-${++runs}`), ...overrides };
}

async function rejectionOf<T extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  const error = await promise.then(() => undefined, (err: unknown) => err);
  expect(error).toBeInstanceOf(type);
  return error as T;
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'command-trainer-'));
  trainPath = path.join(dir, 'train.csv');
  holdoutPath = path.join(dir, 'holdout.csv');
  await writeFile(trainPath, csv(800, 1));
  await writeFile(holdoutPath, csv(200, 2));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runCommandTrainer with the example trainer', () => {
  it('runs it on the train and hold-out files and returns a usable model and its metrics', async () => {
    const lines: string[] = [];
    const run = options({
      command: [node, exampleTrainer, '--train', '{train}', '--holdout', '{holdout}', '--output', '{output}', '--target', 'label', '--model', 'example'],
      onOutput: (line) => lines.push(line),
    });
    const result = await runCommandTrainer(run);
    expect(result.exitCode).toBe(0);
    expect(result.modelDir).toBe(path.join(path.resolve(run.outputDir), 'model'));
    expect(result.artifactPath).toBe(path.join(result.modelDir, 'model.json'));
    expect(result.seconds).toBeGreaterThan(0);
    expect(lines[0]).toBe('training on 800 rows, 3 numeric features: x1, x2, flag');
    expect(lines.at(-1)).toMatch(/^done: /);

    expect(Object.keys(result.trainerMetrics).sort()).toEqual(['holdout_accuracy', 'holdout_log_loss', 'steps', 'train_log_loss']);
    expect(result.trainerMetrics.holdout_accuracy).toBeGreaterThan(0.75);
    expect(result.trainerMetrics.train_log_loss).toBeLessThan(0.5);

    const { artifact } = await readArtifact(result.artifactPath);
    expect(artifact).toMatchObject({ model: 'example', target: 'label', training: { rows: 800 } });
    // The learned direction matches how the data was made: up with x1, down with x2.
    expect(scoreRecord(artifact, { x1: 9, x2: -1, flag: true })).toBeGreaterThan(0.9);
    expect(scoreRecord(artifact, { x1: 1, x2: 1, flag: false })).toBeLessThan(0.1);
  });

  it('passes the paths as environment variables too, and runs in the working directory', async () => {
    const run = options({ command: [node, path.basename(exampleTrainer)], workingDirectory: path.dirname(exampleTrainer), env: { MLOPS_TARGET: 'label', MLOPS_MODEL: 'from-env' } });
    const result = await runCommandTrainer(run);
    expect((await readArtifact(result.artifactPath)).artifact.model).toBe('from-env');
  });
});

describe('runCommandTrainer', () => {
  it('replaces placeholders inside arguments without a shell', async () => {
    const script = `require('node:fs').writeFileSync(process.argv[1].slice(5) + '/argv.json', JSON.stringify(process.argv.slice(1)))`;
    const run = options({ command: [node, '-e', script, 'out: {output}', '--data={train}', '$HOME;{holdout}'] });
    await rejectionOf(runCommandTrainer(run), TrainerOutputError); // it writes no model
    const argv = JSON.parse(await readFile(path.join(path.resolve(run.outputDir), 'argv.json'), 'utf8'));
    expect(argv).toEqual([`out: ${path.resolve(run.outputDir)}`, `--data=${trainPath}`, `$HOME;${holdoutPath}`]);
  });

  it('fails with the exit code and the last 20 lines of output when the command fails', async () => {
    const script = `for (let i = 1; i <= 30; i++) console.log('line ' + i); console.error('boom: bad input'); process.exit(3)`;
    const error = await rejectionOf(runCommandTrainer(options({ command: [node, '-e', script] })), TrainerCommandError);
    expect(error).toMatchObject({ reason: 'exit', exitCode: 3 });
    expect(error.outputTail).toHaveLength(20);
    expect(error.outputTail).toContain('boom: bad input');
    expect(error.outputTail).toContain('line 30');
    expect(error.outputTail).not.toContain('line 10');
    expect(error.message).toMatch(/exited with code 3[\s\S]*boom: bad input/);
  });

  it('fails when the command cannot start', async () => {
    const error = await rejectionOf(runCommandTrainer(options({ command: [path.join(dir, 'no-such-trainer')] })), TrainerCommandError);
    expect(error).toMatchObject({ reason: 'spawn', exitCode: null });
    expect(error.message).toMatch(/could not start: .*ENOENT/);
  });

  it('fails naming metrics.json when the command does not write it', async () => {
    const error = await rejectionOf(runCommandTrainer(options({ command: writesOutputs(JSON.stringify(validModel), undefined) })), TrainerOutputError);
    expect(error.file).toMatch(/metrics\.json$/);
    expect(error.message).toMatch(/metrics\.json: not found/);
  });

  it('fails naming the key when a metric is not a finite number', async () => {
    const model = JSON.stringify(validModel);
    const error = await rejectionOf(runCommandTrainer(options({ command: writesOutputs(model, '{"auc": 0.9, "f1": "high"}') })), TrainerOutputError);
    expect(error).toMatchObject({ key: 'f1' });
    expect(error.message).toMatch(/metrics\.json: metric "f1" must be a finite number, got "high"/);
    const nested = await rejectionOf(runCommandTrainer(options({ command: writesOutputs(model, '{"auc": {"value": 1}}') })), TrainerOutputError);
    expect(nested.key).toBe('auc');
    const list = await rejectionOf(runCommandTrainer(options({ command: writesOutputs(model, '[0.9]') })), TrainerOutputError);
    expect(list.message).toMatch(/expected a JSON object of numbers, got an array/);
  });

  it('fails naming both model files when the model is missing, and model.json when it is not in our format', async () => {
    const missing = await rejectionOf(runCommandTrainer(options({ command: writesOutputs(undefined, '{}') })), TrainerOutputError);
    expect(missing.message).toMatch(/no model: expected .*model[/\\]model\.json or .*model[/\\]model\.onnx/);
    const pickle = await rejectionOf(runCommandTrainer(options({ command: writesOutputs('{"format": "pickle"}', '{}') })), TrainerOutputError);
    expect(pickle.message).toMatch(/model\.json: format is "pickle"/);
  });

  it('returns the metrics when everything is in order', async () => {
    const result = await runCommandTrainer(options({ command: writesOutputs(JSON.stringify(validModel), '{"auc": 0.91, "rows": 800}') }));
    expect(result.trainerMetrics).toEqual({ auc: 0.91, rows: 800 });
  });

  it('kills the command and everything it started when it runs past the timeout', async () => {
    const script = `
      const { spawn } = require('node:child_process');
      const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      require('node:fs').writeFileSync(process.env.MLOPS_OUTPUT_DIR + '/pids', JSON.stringify([process.pid, child.pid]));
      console.log('started');
      setInterval(() => {}, 1000);`;
    const run = options({ command: [node, '-e', script], timeoutMs: 1_500 });
    const started = Date.now();
    const error = await rejectionOf(runCommandTrainer(run), TrainerCommandError);
    expect(error).toMatchObject({ reason: 'timeout', exitCode: null });
    expect(error.outputTail).toEqual(['started']);
    expect(Date.now() - started).toBeLessThan(5_000);
    const pids = JSON.parse(await readFile(path.join(path.resolve(run.outputDir), 'pids'), 'utf8')) as number[];
    const survivors = pids.filter(isAlive);
    for (const pid of survivors) process.kill(pid, 'SIGKILL'); // do not leak them when the test fails
    expect(survivors).toEqual([]);
  });

  it('escalates to SIGKILL when the command ignores SIGTERM', async () => {
    const script = `process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('started'); setInterval(() => {}, 1000);`;
    const error = await rejectionOf(runCommandTrainer(options({ command: [node, '-e', script], timeoutMs: 500 })), TrainerCommandError);
    expect(error.reason).toBe('timeout');
    expect(error.outputTail).toEqual(['started', 'ignoring SIGTERM']);
  });

  it('kills the command when the signal aborts, and does not start it when already aborted', async () => {
    const controller = new AbortController();
    const run = runCommandTrainer(options({ command: [node, '-e', 'setInterval(() => {}, 1000)'], signal: controller.signal }));
    setTimeout(() => controller.abort(), 200);
    expect(await rejectionOf(run, TrainerCommandError)).toMatchObject({ reason: 'aborted' });

    const lines: string[] = [];
    const early = runCommandTrainer(options({ command: [node, '-e', 'console.log("ran")'], signal: AbortSignal.abort(), onOutput: (l) => lines.push(l) }));
    expect(await rejectionOf(early, TrainerCommandError)).toMatchObject({ reason: 'aborted' });
    expect(lines).toEqual([]);
  });
});
