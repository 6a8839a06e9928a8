/**
 * The local deploy target's model-server processes under retries: an attempt that times out
 * waiting for readiness (a slow machine, a worker killed meanwhile) must not leave an unrecorded
 * server running beside the one the retry starts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalDeployTarget } from '../../src/deploy/local-deploy-target.js';
import { GATEWAY_TOKEN, killModelServers, startServingStack, type ServingStack } from '../support/serving-stack.js';

let stack: ServingStack;
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-local-target-'));
  stack = await startServingStack(dataDir);
});
afterAll(async () => {
  await killModelServers(dataDir);
  await stack?.close();
});

/** Live `mlops serve` processes of this model and version (started from this data directory's target). */
function servers(model: string, version: number): number[] {
  const out = (() => {
    try {
      return execFileSync('pgrep', ['-f', `serve --model ${model} --version ${version} `], { encoding: 'utf8' });
    } catch {
      return '';
    }
  })();
  return out.split('\n').filter(Boolean).map(Number);
}

describe('LocalDeployTarget', () => {
  it('a deploy attempt that times out stops its server; the retry leaves exactly one running', async () => {
    const [version] = await stack.registerVersions('slow-start', 1);
    const impatient = new LocalDeployTarget({ dataDir, gatewayUrl: stack.gateway.url, gatewayToken: GATEWAY_TOKEN, readyTimeoutMs: 50 });
    await expect(impatient.deployVersion('slow-start', version!)).rejects.toThrow();
    await expect.poll(() => servers('slow-start', version!), { timeout: 10_000 }).toEqual([]);

    const target = new LocalDeployTarget({ dataDir, gatewayUrl: stack.gateway.url, gatewayToken: GATEWAY_TOKEN });
    const first = await target.deployVersion('slow-start', version!);
    const again = await target.deployVersion('slow-start', version!);
    expect(again.ref).toBe(first.ref);
    expect(servers('slow-start', version!)).toEqual([Number(first.ref.replace('pid:', ''))]);
  });

  it('a server recorded while starting, whose attempt died before it was ready, is stopped and replaced by the retry', async () => {
    const [version] = await stack.registerVersions('orphan', 1);
    const target = new LocalDeployTarget({ dataDir, gatewayUrl: stack.gateway.url, gatewayToken: GATEWAY_TOKEN });
    // An attempt whose worker died mid-start: its process is recorded (no URL yet) and still running.
    const first = target.deployVersion('orphan', version!).catch((err: Error) => err);
    await expect.poll(() => servers('orphan', version!), { timeout: 10_000 }).toHaveLength(1);
    const [starting] = servers('orphan', version!);
    const retried = await new LocalDeployTarget({ dataDir, gatewayUrl: stack.gateway.url, gatewayToken: GATEWAY_TOKEN }).deployVersion('orphan', version!);
    expect(String(await first)).toMatch(/exited before it was ready|pid:/);
    const running = servers('orphan', version!);
    expect(running).toHaveLength(1);
    expect(running).toContain(Number(retried.ref.replace('pid:', '')));
    expect(running).not.toContain(starting);
  });

  it('heartbeats while its server starts, so a slow start is not retried beside itself', async () => {
    const [version] = await stack.registerVersions('beating', 1);
    const beats: string[] = [];
    const target = new LocalDeployTarget({ dataDir, gatewayUrl: stack.gateway.url, gatewayToken: GATEWAY_TOKEN, heartbeatEveryMs: 20 });
    const deployed = await target.deployVersion('beating', version!, { heartbeat: (details) => beats.push(details) });
    expect(beats.length).toBeGreaterThan(0);
    expect(beats[0]).toBe(`starting the model server of beating v${version} (${deployed.ref.replace(':', ' ')})`);
  });
});
