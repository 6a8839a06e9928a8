/**
 * One SIGTERM ends every long-running `mlops` command within its shutdown grace: operators and
 * process managers (systemd, Kubernetes, the demo) send one and expect the process, and the ports it
 * holds, to be gone.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../support/global-setup.js';
import { registryWithArtifact, tinyArtifact } from '../support/registry-fixtures.js';

const root = path.resolve(import.meta.dirname, '../..');
const mlops = path.join(root, 'bin/mlops');
const GRACE_MS = 20_000;

const artifact = tinyArtifact({ features: [{ name: 'x', kind: 'numeric', mean: 0, std: 1 }], intercept: 0, weights: [1] });

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await registryWithArtifact('sigterm-', artifact));
  await writeFile(path.join(dir, 'rows.csv'), 'x,y\n' + Array.from({ length: 50 }, (_, i) => `${i / 10},${i % 2}`).join('\n') + '\n');
});
afterAll(() => cleanup?.());

/** Starts `mlops <args>`, waits for `ready` in its output, sends one SIGTERM, resolves with the exit. */
async function terminateOnce(args: string[], ready: string, env: Record<string, string> = {}) {
  const child = spawn(mlops, args, {
    cwd: dir,
    env: { ...process.env, MLOPS_DATA_DIR: dir, TEMPORAL_ADDRESS: inject('temporalAddress'), MLOPS_TASK_QUEUE: `sigterm-${args[0]}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} not ready in 60 s:\n${output}`)), 60_000);
    const check = () => output.includes(ready) && (clearTimeout(timer), resolve());
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    void exited.then(() => (clearTimeout(timer), reject(new Error(`${args[0]} exited before it was ready:\n${output}`))));
  });
  const sentAt = Date.now();
  child.kill('SIGTERM');
  const result = await Promise.race([exited, new Promise<'alive'>((r) => setTimeout(() => r('alive'), GRACE_MS))]);
  if (result === 'alive') child.kill('SIGKILL');
  return { result, seconds: (Date.now() - sentAt) / 1000, output: () => output };
}

describe('one SIGTERM ends each long-running command', () => {
  it('worker: stops polling, frees its metrics port and exits', async () => {
    const metricsPort = await freePort();
    const run = await terminateOnce(['worker'], 'worker: polling', { MLOPS_WORKER_METRICS_PORT: String(metricsPort) });
    expect(run.result, run.output()).not.toBe('alive');
    expect(run.result).toMatchObject({ code: 0 });
    // The port is free again: a new listener can take it.
    const probe = createServer();
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(metricsPort, '127.0.0.1', resolve));
    await new Promise((resolve) => probe.close(resolve));
  });

  it('gateway: flushes and exits', async () => {
    const port = await freePort();
    const run = await terminateOnce(['gateway', '--port', String(port)], 'gateway: listening', { MLOPS_GATEWAY_TOKEN: 'sigterm-test-token' });
    expect(run.result, run.output()).toMatchObject({ code: 0 });
  });

  it('serve: closes the model server and exits', async () => {
    const run = await terminateOnce(['serve', '--model', 'tiny', '--version', '1', '--registry-dir', path.join(dir, 'registry')], 'ready on');
    expect(run.result, run.output()).toMatchObject({ code: 0 });
  });

  it('api: stops the webhook server and exits', async () => {
    const port = await freePort();
    const run = await terminateOnce(['api', '--pipeline', path.join(root, 'examples/fraud/pipeline.yaml'), '--port', String(port)], 'api: listening', { MLOPS_WEBHOOK_SECRET: 'whsec_c2lndGVybS10ZXN0LXNlY3JldA==' });
    expect(run.result, run.output()).toMatchObject({ code: 0 });
  });

  it('traffic: stops sending and exits', async () => {
    const gatewayPort = await freePort(); // nothing listens: requests fail, the generator keeps going
    const run = await terminateOnce(['traffic', '--model', 'tiny', '--data', path.join(dir, 'rows.csv'), '--target', 'y', '--gateway', `http://127.0.0.1:${gatewayPort}`, '--rps', '5', '--seconds', '600'], 'traffic: 5 req/s');
    expect(run.result, run.output()).toMatchObject({ code: 0 });
  });
});
