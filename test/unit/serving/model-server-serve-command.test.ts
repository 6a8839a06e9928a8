/** `serveCommand` in a child process, the way the local deploy adapter runs it. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreRecord } from '../../../src/train/predict.js';
import { registryWithArtifact, tinyArtifact } from '../../support/registry-fixtures.js';

const root = path.resolve(import.meta.dirname, '../../..');
const serveModule = pathToFileURL(path.join(root, 'src/cli/commands/serve.ts')).href;

const artifact = tinyArtifact({
  features: [
    { name: 'x', kind: 'numeric', mean: 2, std: 4 },
    { name: 'colour', kind: 'categorical', categories: ['blue', 'red'] },
  ],
  intercept: -0.25,
  weights: [1.5, -0.75, 0.5],
});

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await registryWithArtifact('serve-command-', artifact));
});
afterAll(() => cleanup?.());

interface Served {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function serve(options: Record<string, unknown>): Served {
  const script = `import { serveCommand } from ${JSON.stringify(serveModule)}; process.exitCode = await serveCommand(${JSON.stringify(options)});`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, MLOPS_DATA_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

async function readyUrl(served: Served): Promise<string> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const match = /^model-server: tiny v1 ready on (http:\/\/\S+)\n$/.exec(served.stdout());
    if (match) return match[1]!;
    if (served.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no ready line; stdout: ${served.stdout()} stderr: ${served.stderr()}`);
}

describe('serveCommand', () => {
  it('prints one ready line, serves the registered version, and exits 0 on SIGTERM', async () => {
    const served = serve({ model: 'tiny', version: 1, port: 0, host: '127.0.0.1' });
    try {
      const url = await readyUrl(served);
      const response = await fetch(`${url}/v2/models/tiny/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          inputs: [
            { name: 'x', datatype: 'FP64', shape: [2], data: [3.5, null] },
            { name: 'colour', datatype: 'BYTES', shape: [2], data: ['red', 'green'] },
          ],
        }),
      });
      const body = (await response.json()) as { outputs: Array<{ data: number[] }> };
      expect(body.outputs[0]!.data).toEqual([scoreRecord(artifact, { x: 3.5, colour: 'red' }), scoreRecord(artifact, { x: null, colour: 'green' })]);
      served.child.kill('SIGTERM');
      expect(await served.exited).toBe(0);
      expect(served.stdout().split('\n')).toEqual([`model-server: tiny v1 ready on ${url}`, '']);
      await expect(fetch(`${url}/v2/health/live`)).rejects.toThrow();
    } finally {
      served.child.kill('SIGKILL');
    }
  });

  it('exits 1 with the reason when the version is not registered', async () => {
    const served = serve({ model: 'tiny', version: 7, port: 0, host: '127.0.0.1' });
    expect(await served.exited).toBe(1);
    expect(served.stdout()).toBe('');
    expect(served.stderr()).toContain('model-server: cannot load "tiny" v7: model "tiny" has no version 7 in the registry');
  });

  it('passes fault injection through', async () => {
    const served = serve({ model: 'tiny', version: 1, port: 0, host: '127.0.0.1', faultErrorRate: 1, faultDurationMs: 60_000 });
    try {
      const url = await readyUrl(served);
      const response = await fetch(`${url}/v2/models/tiny/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP64', shape: [1], data: [1] }, { name: 'colour', datatype: 'BYTES', shape: [1], data: ['red'] }] }),
      });
      expect(response.status).toBe(500);
      served.child.kill('SIGINT');
      expect(await served.exited).toBe(0);
    } finally {
      served.child.kill('SIGKILL');
    }
  });
});
