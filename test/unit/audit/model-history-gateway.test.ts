/**
 * `mlops history` against a real gateway: the split reported at T is the one the gateway
 * recorded, whether read through its admin API or, with the gateway down, from its journal file.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectModelHistory, UnknownModelError } from '../../../src/audit/model-history.js';
import { renderModelHistory } from '../../../src/audit/render-timeline.js';
import { openRegistry } from '../../../src/registry/open-registry.js';
import type { ModelRegistry } from '../../../src/registry/model-registry.js';
import { startFakeUpstream, type FakeUpstream } from '../serving/gateway-fake-upstream.js';
import { ADMIN_TOKEN, makeDataDir, removeDataDir, startTestGateway, type TestGateway } from '../serving/gateway-test-client.js';

let dataDir: string;
let gateway: TestGateway;
let registry: ModelRegistry;
let upstreams: FakeUpstream[];

beforeAll(async () => {
  dataDir = await makeDataDir();
  upstreams = [await startFakeUpstream(1), await startFakeUpstream(2)];
  gateway = await startTestGateway({ dataDir });
  registry = await openRegistry({ kind: 'embedded' }, { dataDir });
});
afterAll(async () => {
  await registry.close();
  await gateway.close();
  for (const upstream of upstreams) await upstream.close();
  await removeDataDir(dataDir);
});

describe('collectModelHistory with a gateway', () => {
  it('answers --at from the recorded route changes, through the admin API and from the journal file alike', async () => {
    await gateway.admin('PUT', '/admin/models/fraud/versions/1', { url: upstreams[0]!.url });
    await gateway.admin('PUT', '/admin/models/fraud/weights', { weights: { 1: 100 } });
    await gateway.admin('PUT', '/admin/models/fraud/versions/2', { url: upstreams[1]!.url });
    await sleep(20);
    const beforeCanary = new Date();
    await sleep(20);
    await gateway.admin('PUT', '/admin/models/fraud/weights', { weights: { 1: 95, 2: 5 } });
    await sleep(20);
    const duringCanary = new Date();
    await sleep(20);
    await gateway.admin('PUT', '/admin/models/fraud/weights', { weights: { 2: 100, 1: 0 } });

    const sources = { registry, gateway: { url: gateway.url, token: ADMIN_TOKEN, stateDir: dataDir } };
    const before = await collectModelHistory('fraud', sources, { at: beforeCanary });
    expect(before.trafficAt).toMatchObject({ recorded: true, serving: [{ version: 1, weight: 100 }], revision: 3, source: `gateway ${gateway.url}` });
    const during = await collectModelHistory('fraud', sources, { at: duringCanary });
    expect(during.trafficAt).toMatchObject({ recorded: true, serving: [{ version: 1, weight: 95 }, { version: 2, weight: 5 }], revision: 4 });
    expect(during.events.filter((event) => event.kind === 'traffic').map((event) => event.revision)).toEqual([1, 2, 3, 4, 5]);
    expect(during.notes).toContain('workflow histories left out: Temporal is not reachable');
    const text = renderModelHistory(during);
    expect(text).toMatch(/^fraud: 5 event\(s\)/);
    expect(text).toMatch(/at .*: v1 95%, v2 5% \(revision 4, set at /);

    // Since the canary: only the later changes.
    expect((await collectModelHistory('fraud', sources, { since: duringCanary })).events.map((event) => event.revision)).toEqual([5]);

    // The gateway down: the same answer from the journal it kept on this machine.
    const offline = await collectModelHistory('fraud', { registry, gateway: { stateDir: dataDir } }, { at: duringCanary });
    expect(offline.trafficAt).toMatchObject({ recorded: true, revision: 4, serving: [{ version: 1, weight: 95 }, { version: 2, weight: 5 }] });
    expect(offline.trafficAt!.source).toMatch(/route-changes\.jsonl$/);
  });

  it('refuses a model nothing knows, naming where it looked', async () => {
    await expect(collectModelHistory('nobody', { registry, gateway: { url: gateway.url, token: ADMIN_TOKEN, stateDir: dataDir } })).rejects.toThrow(UnknownModelError);
    await expect(collectModelHistory('nobody', { registry, gateway: { url: gateway.url, token: ADMIN_TOKEN, stateDir: dataDir } })).rejects.toThrow(/^unknown model "nobody": not in the registry, no workflow runs and no gateway route changes/);
  });
});
