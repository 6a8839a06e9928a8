import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../../../src/serving/gateway.js';
import { GatewayAdminClient } from '../../../src/serving/gateway-admin-client.js';
import { openGatewayAdmin, ReplicatedGatewayAdmin } from '../../../src/serving/replicated-gateway-admin.js';

const TOKEN = 'replica-test-token';
let a: RunningGateway;
let b: RunningGateway;
const dir = () => mkdtemp(path.join(os.tmpdir(), 'mlops-replica-'));

beforeAll(async () => {
  a = await startGateway({ dataDir: await dir(), adminToken: TOKEN });
  b = await startGateway({ dataDir: await dir(), adminToken: TOKEN });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

const weights = async (url: string, model: string) => (await new GatewayAdminClient(url, TOKEN).routes(model))?.routes.map((r) => [r.version, r.weight]);

describe('several gateway replicas through one admin client', () => {
  it('uses the plain client for one URL and the replicated one for several', () => {
    expect(openGatewayAdmin('http://x', TOKEN)).toBeInstanceOf(GatewayAdminClient);
    expect(openGatewayAdmin(['http://x', 'http://x'], TOKEN)).toBeInstanceOf(GatewayAdminClient);
    expect(openGatewayAdmin(['http://x', 'http://y'], TOKEN)).toBeInstanceOf(ReplicatedGatewayAdmin);
  });

  it('routes and weighs on every replica; the same change again changes nothing', async () => {
    const admin = openGatewayAdmin([a.url, b.url], TOKEN);
    await admin.addVersion('m', 1, 'http://127.0.0.1:9/v1');
    await admin.addVersion('m', 2, 'http://127.0.0.1:9/v2');
    const first = await admin.setWeights('m', { weights: { 1: 95, 2: 5 } });
    const again = await admin.setWeights('m', { weights: { 1: 95, 2: 5 } });
    expect(again.revision).toBe(first.revision);
    expect(await weights(a.url, 'm')).toEqual([[1, 95], [2, 5]]);
    expect(await weights(b.url, 'm')).toEqual([[1, 95], [2, 5]]);
    expect((await admin.routes('m'))!.routes.map((r) => r.weight)).toEqual([95, 5]);
  });

  it('names the replica that did not take a change, and a retry once it is back brings all replicas level', async () => {
    const admin = openGatewayAdmin([a.url, b.url, 'http://127.0.0.1:9'], TOKEN, 1000);
    await expect(admin.setWeights('m', { weights: { 1: 50, 2: 50 } })).rejects.toThrow(/1 of 3 gateway replicas did not set the weights of "m" to v1=50, v2=50 .*\n\s+http:\/\/127\.0\.0\.1:9: gateway at http:\/\/127\.0\.0\.1:9 is unreachable/);
    // The reachable replicas took it; reading through the two that answer shows they agree.
    const reachable = openGatewayAdmin([a.url, b.url], TOKEN);
    expect((await reachable.routes('m'))!.routes.map((r) => r.weight)).toEqual([50, 50]);
  });

  it('reports replicas that disagree, with what each routes, instead of picking one', async () => {
    // A change made behind the control plane's back on one replica only.
    await new GatewayAdminClient(b.url, TOKEN).setWeights('m', { weights: { 1: 100 } });
    const admin = openGatewayAdmin([a.url, b.url], TOKEN);
    await expect(admin.routes('m')).rejects.toThrow(new RegExp(`gateway replicas disagree on the routes of "m":\\n\\s+${a.url.replace(/[.:/]/g, '\\$&')}: v1=50@\\S+, v2=50@\\S+ \\(revision \\d+\\)\\n\\s+${b.url.replace(/[.:/]/g, '\\$&')}: v1=100@`));
    // Setting the weights again is the repair.
    await admin.setWeights('m', { weights: { 1: 100 } });
    expect((await admin.routes('m'))!.routes.map((r) => r.weight)).toEqual([100, 0]);
  });

  it('refuses a compare-and-set revision, which means nothing across replicas', async () => {
    const admin = openGatewayAdmin([a.url, b.url], TOKEN);
    await expect(admin.setWeights('m', { weights: { 1: 100 }, ifRevision: 3 })).rejects.toThrow(/ifRevision cannot be used with several gateway replicas/);
  });
});
