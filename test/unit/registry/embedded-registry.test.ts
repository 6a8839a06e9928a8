import { readFile, writeFile } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedRegistry } from '../../../src/registry/embedded-registry.js';
import {
  ArtifactIntegrityError,
  InvalidRegistryInputError,
  ModelNotFoundError,
  StatusTransitionError,
  type VersionStatus,
} from '../../../src/registry/model-registry.js';
import { dumpRegistryDatabase, makeTempDir, newVersion, writeArtifact } from '../../support/registry-fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let registryDir: string;
let registry: EmbeddedRegistry;
let artifact: string;

beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
  registryDir = path.join(dir, 'registry');
  registry = await EmbeddedRegistry.open(registryDir, { actor: 'tester' });
  artifact = await writeArtifact(dir, '{"weights":[1,2,3]}');
});

afterEach(async () => {
  await registry.close();
  await cleanup();
});

async function registerMany(count: number, model = 'churn'): Promise<number[]> {
  const versions: number[] = [];
  for (let index = 0; index < count; index += 1) versions.push((await registry.registerVersion(newVersion(artifact, { model }))).version);
  return versions;
}

async function statuses(model = 'churn'): Promise<Record<number, VersionStatus>> {
  return Object.fromEntries((await registry.listVersions(model)).map((version) => [version.version, version.status]));
}

describe('version numbering', () => {
  it('numbers versions 1, 2, 3 … separately for each model', async () => {
    expect(await registerMany(3, 'churn')).toEqual([1, 2, 3]);
    expect(await registerMany(2, 'fraud')).toEqual([1, 2]);
    expect((await registry.listVersions('churn')).map((version) => version.version)).toEqual([1, 2, 3]);
    expect(await registry.listModels()).toEqual([
      expect.objectContaining({ name: 'churn', latestVersion: 3, aliases: {} }),
      expect.objectContaining({ name: 'fraud', latestVersion: 2, aliases: {} }),
    ]);
  });

  it('keeps every field of the new version, with ISO timestamps', async () => {
    const input = newVersion(artifact, { status: 'rejected', rejectionReasons: ['roc_auc 0.6 < 0.8'], description: 'weekly retrain', lineage: { ...newVersion(artifact).lineage, parentVersion: 4, trigger: 'drift' } });
    const registered = await registry.registerVersion(input);
    expect(registered).toMatchObject({
      model: 'churn', version: 1, status: 'rejected', metrics: input.metrics, gates: input.gates, lineage: input.lineage,
      rejectionReasons: ['roc_auc 0.6 < 0.8'], aliases: [], idempotencyKey: input.idempotencyKey, description: 'weekly retrain', artifactSize: 19,
    });
    expect(new Date(registered.createdAt).toISOString()).toBe(registered.createdAt);
    expect(await registry.getVersion('churn', 1)).toEqual(registered);
  });

  it('survives closing and reopening the registry', async () => {
    await registerMany(2);
    await registry.close();
    registry = await EmbeddedRegistry.open(registryDir);
    expect(await registerMany(1)).toEqual([3]);
  });
});

describe('idempotency', () => {
  it('returns the existing version, unchanged, for a repeated idempotency key', async () => {
    const first = await registry.registerVersion(newVersion(artifact, { idempotencyKey: 'wf/run-1' }));
    const again = await registry.registerVersion(newVersion(artifact, { idempotencyKey: 'wf/run-1', metrics: { roc_auc: 0.5 }, aliases: ['challenger'] }));
    expect(again).toEqual(first);
    expect((await registry.listVersions('churn')).map((version) => version.version)).toEqual([1]);
    expect(await registry.findVersionByIdempotencyKey('churn', 'wf/run-1')).toEqual(first);
    expect(await registry.findVersionByIdempotencyKey('churn', 'other')).toBeUndefined();
  });

  it('returns the existing version even when its artifact file is gone (a retry after cleanup)', async () => {
    const first = await registry.registerVersion(newVersion(artifact, { idempotencyKey: 'k' }));
    const again = await registry.registerVersion(newVersion(path.join(dir, 'deleted.json'), { idempotencyKey: 'k' }));
    expect(again.version).toBe(first.version);
  });
});

describe('aliases and the champion rule', () => {
  it('moves an alias from one version to another', async () => {
    await registerMany(2);
    await registry.setAlias('churn', 'challenger', 1);
    await registry.setAlias('churn', 'challenger', 2);
    expect((await registry.getVersionByAlias('churn', 'challenger'))?.version).toBe(2);
    expect((await registry.getVersion('churn', 1))?.aliases).toEqual([]);
    expect((await registry.listModels())[0]?.aliases).toEqual({ challenger: 2 });
  });

  it('points aliases given at registration at the new version', async () => {
    await registry.registerVersion(newVersion(artifact, { aliases: ['challenger'] }));
    const second = await registry.registerVersion(newVersion(artifact, { aliases: ['challenger', 'shadow'] }));
    expect(second.aliases).toEqual(['challenger', 'shadow']);
    expect((await registry.getVersion('churn', 1))?.aliases).toEqual([]);
  });

  it('makes the new champion champion, archives the previous one and drops its challenger alias', async () => {
    await registerMany(3);
    await registry.setAlias('churn', 'champion', 1);
    await registry.setAlias('churn', 'challenger', 2);
    await registry.setAlias('churn', 'champion', 2, 'canary passed');

    expect(await statuses()).toEqual({ 1: 'archived', 2: 'champion', 3: 'candidate' });
    const champion = await registry.getVersionByAlias('churn', 'champion');
    expect(champion).toMatchObject({ version: 2, aliases: ['champion'] });
    expect(await registry.getVersionByAlias('churn', 'challenger')).toBeUndefined();
  });

  it('treats setStatus champion as taking the champion alias', async () => {
    await registerMany(2);
    await registry.setStatus('churn', 1, 'champion');
    const second = await registry.setStatus('churn', 2, 'champion', 'manual promotion');
    expect(second).toMatchObject({ status: 'champion', aliases: ['champion'] });
    expect(await statuses()).toEqual({ 1: 'archived', 2: 'champion' });
  });

  it('refuses the champion alias to a rejected version and changes nothing', async () => {
    await registry.registerVersion(newVersion(artifact));
    await registry.registerVersion(newVersion(artifact, { status: 'rejected', rejectionReasons: ['roc_auc too low'] }));
    await registry.setAlias('churn', 'champion', 1);
    const before = dumpRegistryDatabase(registryDir);

    await expect(registry.setAlias('churn', 'champion', 2)).rejects.toThrow(StatusTransitionError);
    await expect(registry.setAlias('churn', 'champion', 2)).rejects.toThrow(/version 2 of "churn" is rejected/);
    await expect(registry.setStatus('churn', 2, 'champion')).rejects.toThrow(StatusTransitionError);
    expect(dumpRegistryDatabase(registryDir)).toEqual(before);
  });

  it('will not archive or reject the champion while it holds the alias', async () => {
    await registerMany(1);
    await registry.setAlias('churn', 'champion', 1);
    await expect(registry.setStatus('churn', 1, 'archived')).rejects.toThrow(StatusTransitionError);
    expect((await registry.getVersion('churn', 1))?.status).toBe('champion');
  });

  it('archives the champion when its alias is removed', async () => {
    await registerMany(1);
    await registry.setAlias('churn', 'champion', 1);
    await registry.removeAlias('churn', 'champion', 'withdrawn');
    expect(await registry.getVersion('churn', 1)).toMatchObject({ status: 'archived', aliases: [] });
    await registry.removeAlias('churn', 'champion'); // nobody holds it: no-op
  });

  it('appends the reason for a rejection to the rejection reasons', async () => {
    await registerMany(1);
    const rejected = await registry.setStatus('churn', 1, 'rejected', 'canary breached the latency SLA');
    expect(rejected.rejectionReasons).toEqual(['canary breached the latency SLA']);
  });
});

describe('audit trail', () => {
  it('records who changed what, when and why, for every status and alias change', async () => {
    await registerMany(2);
    await registry.setAlias('churn', 'champion', 1, 'first model');
    await registry.setAlias('churn', 'challenger', 2);
    await registry.setAlias('churn', 'champion', 2, 'canary passed');
    await registry.setAlias('churn', 'champion', 2, 'retried'); // no-op, no event

    const events = await registry.listEvents('churn');
    expect(events.every((event) => event.actor === 'tester' && !Number.isNaN(Date.parse(event.at)))).toBe(true);
    expect(events.map((event) => [event.version, event.change, event.reason])).toEqual([
      [1, { kind: 'registered', status: 'candidate' }, undefined],
      [2, { kind: 'registered', status: 'candidate' }, undefined],
      [1, { kind: 'status', from: 'candidate', to: 'champion' }, 'first model'],
      [1, { kind: 'alias-set', alias: 'champion' }, 'first model'],
      [2, { kind: 'alias-set', alias: 'challenger' }, undefined],
      [1, { kind: 'status', from: 'champion', to: 'archived' }, 'replaced as champion by version 2: canary passed'],
      [2, { kind: 'alias-removed', alias: 'challenger' }, 'promoted to champion'],
      [2, { kind: 'status', from: 'candidate', to: 'champion' }, 'canary passed'],
      [1, { kind: 'alias-removed', alias: 'champion' }, 'canary passed'],
      [2, { kind: 'alias-set', alias: 'champion', previousVersion: 1 }, 'canary passed'],
    ]);
    expect((await registry.listEvents('churn', 1)).map((event) => event.version)).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('invalid input', () => {
  it('rejects malformed records with a message naming the field', async () => {
    await expect(registry.registerVersion(newVersion(artifact, { model: 'Churn Model' }))).rejects.toThrow(InvalidRegistryInputError);
    await expect(registry.registerVersion(newVersion(artifact, { metrics: { roc_auc: Number.NaN } }))).rejects.toThrow(/metrics\.roc_auc/);
    await expect(registry.registerVersion(newVersion(artifact, { status: 'champion' as 'candidate' }))).rejects.toThrow(/starts as "candidate" or "rejected"/);
    await expect(registry.registerVersion(newVersion(artifact, { aliases: ['Champion!'] }))).rejects.toThrow(/aliases\[0\]/);
    await expect(registry.registerVersion(newVersion(artifact, { lineage: { ...newVersion(artifact).lineage, dataVersion: '' } }))).rejects.toThrow(/lineage\.dataVersion/);
    await expect(registry.setStatus('churn', 1, 'retired' as VersionStatus)).rejects.toThrow(/expected one of candidate, rejected, champion, archived/);
    await expect(registry.getVersion('churn', 0)).rejects.toThrow(InvalidRegistryInputError);
  });

  it('reports unknown models and versions with ModelNotFoundError', async () => {
    await registerMany(2);
    await expect(registry.listVersions('nope')).rejects.toThrow(ModelNotFoundError);
    await expect(registry.setAlias('churn', 'champion', 3)).rejects.toThrow(/model "churn" has no version 3 \(latest is 2\)/);
    await expect(registry.setStatus('nope', 1, 'archived')).rejects.toThrow(ModelNotFoundError);
    await expect(registry.downloadArtifact('churn', 9, path.join(dir, 'out.json'))).rejects.toThrow(ModelNotFoundError);
    expect(await registry.getVersion('churn', 3)).toBeUndefined();
    expect(await registry.getVersionByAlias('nope', 'champion')).toBeUndefined();
  });

  it('refuses a directory or a missing file as the artifact', async () => {
    const modelDir = path.join(dir, 'model-dir');
    mkdirSync(modelDir);
    await expect(registry.registerVersion(newVersion(modelDir))).rejects.toThrow(/must be a single file, got a directory/);
    await expect(registry.registerVersion(newVersion(path.join(dir, 'missing.json')))).rejects.toThrow(/artifact not found/);
  });

  it('leaves no rows behind when a call fails half-way through its transaction', async () => {
    await registerMany(1);
    await registry.setAlias('churn', 'challenger', 1);
    const before = dumpRegistryDatabase(registryDir);

    // The version row, its audit event and the challenger move happen before the champion rule fails.
    const failing = newVersion(artifact, { status: 'rejected', aliases: ['challenger', 'champion'] });
    await expect(registry.registerVersion(failing)).rejects.toThrow(StatusTransitionError);
    await expect(registry.registerVersion(newVersion(artifact, { model: 'BAD' }))).rejects.toThrow(InvalidRegistryInputError);
    await expect(registry.setAlias('churn', 'champion', 5)).rejects.toThrow(ModelNotFoundError);

    expect(dumpRegistryDatabase(registryDir)).toEqual(before);
    expect(await registry.findVersionByIdempotencyKey('churn', failing.idempotencyKey)).toBeUndefined();
    expect(await registerMany(1)).toEqual([2]);
  });
});

describe('artifacts', () => {
  it('stores the artifact by its sha256 and hands back the same bytes', async () => {
    const registered = await registry.registerVersion(newVersion(artifact));
    const stored = path.join(registryDir, 'artifacts', 'sha256', registered.artifactSha256.slice(0, 2), registered.artifactSha256);
    expect(await readFile(stored, 'utf8')).toBe('{"weights":[1,2,3]}');

    const out = await registry.downloadArtifact('churn', 1, path.join(dir, 'out', 'model.json'));
    expect(out).toEqual({ path: path.join(dir, 'out', 'model.json'), sha256: registered.artifactSha256 });
    expect(await readFile(out.path, 'utf8')).toBe('{"weights":[1,2,3]}');

    // Into an existing directory, under the name it was registered with.
    const intoDirectory = await registry.downloadArtifact('churn', 1, dir);
    expect(intoDirectory.path).toBe(path.join(dir, 'model.json'));
  });

  it('detects bytes changed in the store and names the version and both hashes', async () => {
    const registered = await registry.registerVersion(newVersion(artifact));
    const stored = path.join(registryDir, 'artifacts', 'sha256', registered.artifactSha256.slice(0, 2), registered.artifactSha256);
    await writeFile(stored, '{"weights":[9,9,9]}');
    const destination = path.join(dir, 'tampered.json');

    const failure = registry.downloadArtifact('churn', 1, destination);
    await expect(failure).rejects.toThrow(ArtifactIntegrityError);
    await expect(registry.downloadArtifact('churn', 1, destination)).rejects.toThrow(
      new RegExp(`"churn" version 1 .*${registered.artifactSha256}.*[0-9a-f]{64}`),
    );
    await expect(readFile(destination)).rejects.toThrow(/ENOENT/);
  });
});

describe('attachments', () => {
  it('keeps files with a version by content hash, verified on download', async () => {
    const { mkdtemp, writeFile, readFile, chmod } = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const { EmbeddedRegistry } = await import('../../../src/registry/embedded-registry.js');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'registry-attach-'));
    const artifact = path.join(dir, 'model.json');
    const profile = path.join(dir, 'profile.json');
    await writeFile(artifact, '{"a":1}');
    await writeFile(profile, '{"profile":true}');
    const registry = await EmbeddedRegistry.open(path.join(dir, 'reg'));
    const v = await registry.registerVersion({
      model: 'm', idempotencyKey: 'k', status: 'candidate', artifactPath: artifact, metrics: {}, gates: [],
      lineage: { dataVersion: 'd', definitionHash: 'h', trainer: 't', codeVersion: 'c', workflowId: 'w', runId: 'r' },
      attachments: { 'reference-profile.json': profile },
    });
    expect(Object.keys(v.attachments)).toEqual(['reference-profile.json']);
    const out = path.join(dir, 'out.json');
    expect(await registry.downloadAttachment('m', 1, 'reference-profile.json', out)).toMatchObject({ sha256: v.attachments['reference-profile.json']!.sha256 });
    expect(await readFile(out, 'utf8')).toBe('{"profile":true}');
    expect(await registry.downloadAttachment('m', 1, 'missing', out)).toBeUndefined();
    await expect(registry.attachFile('m', 1, '../escape', profile)).rejects.toThrow(/attachment name/);
    // Tampering with the stored bytes is detected on download.
    const stored = path.join(dir, 'reg', 'artifacts', 'sha256', v.attachments['reference-profile.json']!.sha256.slice(0, 2), v.attachments['reference-profile.json']!.sha256);
    await chmod(stored, 0o644);
    await writeFile(stored, '{"profile":false}');
    await expect(registry.downloadAttachment('m', 1, 'reference-profile.json', path.join(dir, 'again.json'))).rejects.toThrow(/sha256|integrity|changed/i);
    await registry.close();
  });
});
