/** A real worker process (workers/main.ts under tsx) that a test can SIGKILL mid-activity. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Settings } from '../../src/temporal/settings.js';

const root = path.resolve(import.meta.dirname, '../..');

export interface WorkerProcess {
  process: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface WorkerProcessOptions {
  /** The worker's working directory (default the repo). */
  cwd?: string;
  /** Added to the test's environment. */
  env?: Record<string, string>;
  /**
   * A host of its own, as far as disks go: the worker runs in a private mount namespace with an
   * empty tmpfs mounted at this (existing) directory, which is also its working directory. Workers
   * given the same directory each see their own disk there, as on separate machines: a path one
   * writes does not exist for the others. Needs unshare(1) and CAP_SYS_ADMIN (root here).
   */
  privateDir?: string;
}

export async function startWorkerProcess(settings: Settings, options: WorkerProcessOptions = {}): Promise<WorkerProcess> {
  // tsx by absolute path: a working directory outside the repo has no node_modules to resolve it from.
  const node = [process.execPath, '--import', path.join(root, 'node_modules/tsx/dist/esm/index.mjs'), path.join(root, 'workers/main.ts')];
  const [command, ...args] = options.privateDir
    ? ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs tmpfs "$0" && cd "$0" && exec "$@"', options.privateDir, ...node]
    : node;
  const child = spawn(command!, args, {
    cwd: options.privateDir ? '/' : (options.cwd ?? root),
    env: {
      ...process.env,
      ...options.env,
      TEMPORAL_ADDRESS: settings.temporalAddress,
      MLOPS_TASK_QUEUE: settings.taskQueue,
      MLOPS_DATA_DIR: settings.dataDir,
      MLOPS_CODE_VERSION: 'test',
      MLOPS_WORKER_METRICS_PORT: '0',
      MLOPS_WORKER_POLICY: process.env.MLOPS_WORKER_POLICY ?? path.join(root, 'test/fixtures/policy/permissive.yaml'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start in 60 s:\n${output}`)), 60_000);
    const check = () => {
      if (output.includes('worker: polling')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${output}`));
    });
  });
  return {
    process: child,
    output: () => output,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
  };
}
