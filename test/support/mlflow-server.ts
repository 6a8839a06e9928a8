/**
 * A real MLflow tracking server for tests, started through scripts/mlflow on a free port with
 * its own throwaway SQLite database and artifact directory. scripts/mlflow installs MLflow (a
 * pinned version from PyPI, cached under ~/.cache/mlops-control-plane) the first time.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { RegistrySection } from '../../src/spec/schema.js';

const run = promisify(execFile);
const script = path.resolve(import.meta.dirname, '../../scripts/mlflow');

let installation: Promise<string | undefined> | undefined;

/**
 * Installs MLflow when missing (scripts/mlflow install: a virtualenv from PyPI). Returns why it
 * is unavailable, after printing a banner no one can miss, or undefined when it is there.
 */
export async function mlflowUnavailableReason(testName: string): Promise<string | undefined> {
  installation ??= run(script, ['install'], { timeout: 900_000 }).then(
    () => undefined,
    (err: unknown) => {
      const { stderr, message } = err as { stderr?: string; message: string };
      return (stderr?.trim() || message).split('\n').slice(-5).join('\n');
    },
  );
  const reason = await installation;
  if (reason !== undefined) {
    const line = '!'.repeat(100);
    console.warn(`\n${line}\n!!! SKIPPING ${testName}: MLflow is not installed and could not be installed.\n!!! ${reason.replace(/\n/g, '\n!!! ')}\n!!! Run 'scripts/mlflow install' (needs python3 with venv and PyPI).\n${line}\n`);
  }
  return reason;
}

export interface RunningMlflow {
  url: string;
  /** The server's database and artifacts. */
  directory: string;
  /** A `registry:` section pointing at this server (schema defaults applied). */
  registrySection(extra?: Record<string, unknown>): Extract<RegistrySection, { kind: 'mlflow' }>;
  stop(): Promise<void>;
}

export async function startMlflow(): Promise<RunningMlflow> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'mlops-mlflow-'));
  const port = await freePort();
  const env = { ...process.env, MLFLOW_PORT: String(port), MLFLOW_DIR: directory };
  await run(script, ['start'], { env, timeout: 180_000 });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    directory,
    registrySection: (extra = {}) => RegistrySection.parse({ kind: 'mlflow', trackingUri: url, ...extra }) as Extract<RegistrySection, { kind: 'mlflow' }>,
    async stop() {
      await run(script, ['stop'], { env, timeout: 30_000 }).catch((err: unknown) => console.warn(`stopping MLflow: ${String(err)}`));
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** One call to MLflow's own REST API, as a check independent of our client. */
export async function mlflowApi<T = Record<string, unknown>>(url: string, method: 'GET' | 'POST', endpoint: string, fields: Record<string, string> | object = {}): Promise<T> {
  const target = new URL(`${url}/api/2.0/mlflow/${endpoint}`);
  if (method === 'GET') for (const [key, value] of Object.entries(fields)) target.searchParams.append(key, String(value));
  const response = await fetch(target, method === 'GET' ? {} : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(fields) });
  const text = await response.text();
  if (!response.ok) throw new Error(`MLflow ${method} ${endpoint} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
