/**
 * Starts one real Temporal dev server (the CLI built by scripts/install-temporal) for the whole
 * suite, on free ports with in-memory persistence, and bundles the workflow code once.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';

const root = path.resolve(import.meta.dirname, '../..');

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalUiUrl: string;
    workflowBundlePath: string;
  }
}

let server: ChildProcess | undefined;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** `count` distinct free ports: every listener stays open until all are chosen. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const temporal = path.join(root, '.tools/bin/temporal');
  if (!existsSync(temporal)) execFileSync(path.join(root, 'scripts/install-temporal'), { stdio: 'inherit' });
  // All ports at once, each held until all are chosen, and every port the server opens named:
  // left to itself the dev server picks its HTTP port among the free ones, and once took the
  // gRPC port just released here (bind: address already in use).
  const [port, uiPort, httpPort, metricsPort] = await freePorts(4);
  const attributes = ['Model=Keyword', 'ModelVersion=Int', 'Outcome=Keyword', 'TriggeredBy=Keyword', 'DataVersion=Keyword'];
  server = spawn(
    temporal,
    ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort), '--http-port', String(httpPort), '--metrics-port', String(metricsPort), '--log-level', 'error',
      ...attributes.flatMap((a) => ['--search-attribute', a])],
    { stdio: ['ignore', 'ignore', 'inherit'], detached: false },
  );
  const address = `127.0.0.1:${port}`;
  await waitForServer(address);

  const workDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-test-'));
  const { code } = await bundleWorkflowCode({ workflowsPath: path.join(root, 'workflows/index.ts'), logger: quietLogger });
  const bundlePath = path.join(workDir, 'workflow-bundle.js');
  await writeFile(bundlePath, code);

  project.provide('temporalAddress', address);
  project.provide('temporalUiUrl', `http://127.0.0.1:${uiPort}`);
  project.provide('workflowBundlePath', bundlePath);

  return async () => {
    server?.kill('SIGTERM');
    await sleep(200);
    server?.kill('SIGKILL');
  };
}

async function waitForServer(address: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: '1 second' });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      return;
    } catch (err) {
      lastError = err;
      await sleep(250);
    }
  }
  throw new Error(`Temporal dev server did not come up on ${address}: ${String(lastError)}`);
}

const quietLogger = {
  log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error,
} as unknown as Parameters<typeof bundleWorkflowCode>[0]['logger'];
