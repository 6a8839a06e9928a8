import { appendFile, mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RouteChangeJournal } from '../../../src/serving/route-change-journal.js';
import type { RouteTable } from '../../../src/serving/gateway-contract.js';
import { startFakeUpstream, type FakeUpstream } from './gateway-fake-upstream.js';
import { makeDataDir, removeDataDir, startTestGateway, type TestGateway } from './gateway-test-client.js';

function table(model: string, revision: number, weights: Record<number, number>): RouteTable {
  return {
    model,
    revision,
    updatedAt: new Date(Date.UTC(2026, 0, 1, 0, revision)).toISOString(),
    routes: Object.entries(weights).map(([version, weight]) => ({ version: Number(version), url: `http://127.0.0.1:1/${version}`, weight })),
  } as RouteTable;
}

describe('RouteChangeJournal', () => {
  it('keeps every revision in order, per model; a revision written twice counts once; a torn last line never took effect', async () => {
    const journal = RouteChangeJournal.inStateDir(await mkdtemp(path.join(os.tmpdir(), 'mlops-journal-')));
    expect(await journal.read('fraud')).toEqual([]);
    await journal.append(table('fraud', 1, { 1: 100 }));
    await journal.append(table('churn', 1, { 3: 100 }));
    await journal.append(table('fraud', 2, { 1: 95, 2: 5 }));
    await journal.append(table('fraud', 2, { 1: 95, 2: 5 }));
    await appendFile(journal.file, '{"model":"fraud","revision":3,"at":"2026-01');
    expect(await journal.read('fraud')).toEqual([
      { model: 'fraud', revision: 1, at: '2026-01-01T00:01:00.000Z', weights: { 1: 100 } },
      { model: 'fraud', revision: 2, at: '2026-01-01T00:02:00.000Z', weights: { 1: 95, 2: 5 } },
    ]);
    expect((await journal.read()).map((change) => `${change.model}@${change.revision}`)).toEqual(['churn@1', 'fraud@1', 'fraud@2']);
  });

  it('repair appends the tables a crash left out of the journal, and nothing else', async () => {
    const journal = RouteChangeJournal.inStateDir(await mkdtemp(path.join(os.tmpdir(), 'mlops-journal-')));
    await journal.append(table('fraud', 1, { 1: 100 }));
    await journal.repair([table('fraud', 2, { 1: 50, 2: 50 }), table('churn', 4, { 3: 100 })]);
    await journal.repair([table('fraud', 2, { 1: 50, 2: 50 }), table('churn', 4, { 3: 100 })]);
    expect((await journal.read()).map((change) => `${change.model}@${change.revision}`)).toEqual(['churn@4', 'fraud@1', 'fraud@2']);
    expect((await readFile(journal.file, 'utf8')).trim().split('\n')).toHaveLength(3);
  });

  it('names the file and line of a record that is not a route change', async () => {
    const journal = RouteChangeJournal.inStateDir(await mkdtemp(path.join(os.tmpdir(), 'mlops-journal-')));
    await journal.append(table('fraud', 1, { 1: 100 }));
    await appendFile(journal.file, '{"model":"fraud","revision":-1,"at":"x","weights":{}}\n');
    await expect(journal.read()).rejects.toThrow(/route-changes\.jsonl:2: not a route change: revision:/);
  });
});

describe('gateway route-change record', () => {
  let dataDir: string;
  let gateway: TestGateway;
  let v1: FakeUpstream;
  let v2: FakeUpstream;

  beforeAll(async () => {
    dataDir = await makeDataDir();
    v1 = await startFakeUpstream(1);
    v2 = await startFakeUpstream(2);
    gateway = await startTestGateway({ dataDir });
  });
  afterAll(async () => {
    await gateway.close();
    await v1.close();
    await v2.close();
    await removeDataDir(dataDir);
  });

  it('serves every committed revision of a model, oldest first, with the weights that took effect', async () => {
    expect((await gateway.admin('GET', '/admin/models/fraud/route-changes')).body).toEqual({ model: 'fraud', changes: [] });
    await gateway.admin('PUT', '/admin/models/fraud/versions/1', { url: v1.url });
    await gateway.admin('PUT', '/admin/models/fraud/weights', { weights: { 1: 100 } });
    await gateway.admin('PUT', '/admin/models/fraud/versions/2', { url: v2.url });
    await gateway.admin('PUT', '/admin/models/fraud/weights', { weights: { 1: 95, 2: 5 } });
    const refused = await gateway.admin('PUT', '/admin/models/fraud/weights', { weights: { 1: 90, 2: 5 } });
    expect(refused.status).toBe(400);
    const { body } = await gateway.admin('GET', '/admin/models/fraud/route-changes');
    expect(body.changes.map((change: { revision: number; weights: Record<string, number> }) => [change.revision, change.weights])).toEqual([
      [1, { 1: 0 }],
      [2, { 1: 100 }],
      [3, { 1: 100, 2: 0 }],
      [4, { 1: 95, 2: 5 }],
    ]);
  });
});
