/**
 * The MLflow registry adapter against a REAL MLflow server (scripts/mlflow, SQLite backend,
 * artifact proxy), checked through MLflow's own REST API: idempotent registration (also after
 * a crash at each step), the champion/archived/rejected rules as tags and aliases, verified
 * artifact round trips, and auth headers from environment variables.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { registryListCommand, registryShowCommand } from '../../src/cli/commands/registry.js';
import { MlflowClient, type MlflowModelVersion, type MlflowRun } from '../../src/registry/mlflow-client.js';
import { MlflowAuthError, MlflowRequestError } from '../../src/registry/mlflow-errors.js';
import { MlflowRegistry } from '../../src/registry/mlflow-registry.js';
import { ArtifactIntegrityError, ModelNotFoundError, StatusTransitionError, type NewModelVersion } from '../../src/registry/model-registry.js';
import { openRegistry } from '../../src/registry/open-registry.js';
import { mlflowApi, mlflowUnavailableReason, startMlflow, type RunningMlflow } from '../support/mlflow-server.js';
import { startMlflowProxy } from '../support/mlflow-proxy.js';
import { makeTempDir, newVersion, writeArtifact } from '../support/registry-fixtures.js';

const unavailable = await mlflowUnavailableReason('test/integration/mlflow-registry.test.ts');

let mlflow: RunningMlflow;
let dir: string;
let cleanup: () => Promise<void>;
let registry: MlflowRegistry;
let modelCounter = 0;

beforeAll(async () => {
  if (unavailable) return;
  mlflow = await startMlflow();
  ({ dir, cleanup } = await makeTempDir('mlflow-registry-'));
  registry = new MlflowRegistry(new MlflowClient({ trackingUri: mlflow.url }));
});
afterAll(async () => {
  await mlflow?.stop();
  await cleanup?.();
});

/** A fresh model name per test, so tests never see each other's versions. */
let model: string;
beforeEach((context) => {
  if (unavailable) context.skip(`MLflow unavailable: ${unavailable}`);
  model = `mlflow-reg-${++modelCounter}`;
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const tag = (tags: { key: string; value: string }[] | undefined, key: string) => tags?.find((t) => t.key === key)?.value;

async function versionsInMlflow(name: string): Promise<MlflowModelVersion[]> {
  const answer = await mlflowApi<{ model_versions?: MlflowModelVersion[] }>(mlflow.url, 'GET', 'model-versions/search', { filter: `name = '${name}'` });
  return answer.model_versions ?? [];
}

async function runsWithKey(name: string, key: string): Promise<MlflowRun[]> {
  const { experiment } = await mlflowApi<{ experiment: { experiment_id: string } }>(mlflow.url, 'GET', 'experiments/get-by-name', { experiment_name: `mlops/${name}` });
  const answer = await mlflowApi<{ runs?: MlflowRun[] }>(mlflow.url, 'POST', 'runs/search', { experiment_ids: [experiment.experiment_id], filter: `tags.\`mlops.idempotency_key\` = '${key}'` });
  return answer.runs ?? [];
}

async function aliasTarget(name: string, alias: string): Promise<string | undefined> {
  const { registered_model } = await mlflowApi<{ registered_model: { aliases?: { alias: string; version: string }[] } }>(mlflow.url, 'GET', 'registered-models/get', { name });
  return registered_model.aliases?.find((a) => a.alias === alias)?.version;
}

async function register(overrides: Partial<NewModelVersion> = {}, content = `model of ${model}`) {
  const artifact = await writeArtifact(dir, content, `${model}-${Math.random().toString(36).slice(2)}.json`);
  return registry.registerVersion(newVersion(artifact, { model, ...overrides }));
}

/** A client that "crashes" once: the call reaches MLflow (or not), then the caller dies before hearing the answer. */
class CrashingClient extends MlflowClient {
  constructor(url: string, private readonly crashAt: 'before-create-version' | 'after-create-version' | 'after-set-alias') {
    super({ trackingUri: url });
  }
  override async createModelVersion(args: Parameters<MlflowClient['createModelVersion']>[0]) {
    if (this.crashAt === 'before-create-version') throw new Error('worker died before creating the version');
    const created = await super.createModelVersion(args);
    if (this.crashAt === 'after-create-version') throw new Error('worker died after MLflow created the version');
    return created;
  }
  override async setAlias(name: string, alias: string, version: number | string) {
    await super.setAlias(name, alias, version);
    if (this.crashAt === 'after-set-alias') throw new Error('worker died after setting the alias');
  }
}

describe('registering in MLflow', () => {
  it('makes one run with params, metrics and gate tags, uploads the model through the proxy, and a version from runs:/<run>/model', async () => {
    const version = await register({ aliases: ['challenger'], description: 'first' }, 'model bytes v1');

    const [stored] = await versionsInMlflow(model);
    expect(stored).toMatchObject({ version: '1', source: `runs:/${stored!.run_id}/model`, description: 'first' });
    expect(tag(stored!.tags, 'mlops.status')).toBe('candidate');
    expect(tag(stored!.tags, 'mlops.artifact_sha256')).toBe(sha256('model bytes v1'));
    expect(tag(stored!.tags, 'mlops.registration')).toBe('complete');
    expect(await aliasTarget(model, 'challenger')).toBe('1');

    const { run } = await mlflowApi<{ run: MlflowRun }>(mlflow.url, 'GET', 'runs/get', { run_id: stored!.run_id! });
    expect(run.info.status).toBe('FINISHED');
    expect(Object.fromEntries(run.data.metrics!.map((m) => [m.key, m.value]))).toEqual({ roc_auc: 0.91, accuracy: 0.85, f1: 0.8 });
    expect(run.data.params).toEqual(expect.arrayContaining([{ key: 'trainer', value: 'builtin:logistic_regression' }, { key: 'data_version', value: 'sha256:0123456789abcdef' }, { key: 'definition_hash', value: 'def-hash' }]));
    expect(tag(run.data.tags, 'mlops.gate.metric:roc_auc')).toMatch(/^pass 0\.91 \(min 0\.8\)/);

    // The bytes sit in the server's artifact store, under the run, as uploaded through the proxy.
    const files = await readdir(path.join(mlflow.directory, 'artifacts', run.info.experiment_id, run.info.run_id, 'artifacts', 'model'));
    expect(files).toHaveLength(1);
    expect(version).toMatchObject({ model, version: 1, status: 'candidate', aliases: ['challenger'], artifactSha256: sha256('model bytes v1'), artifactSize: 14 });
    expect(version.metrics.roc_auc).toBe(0.91);
  });

  it('returns the same version when called again with the same key: one run, one version', async () => {
    const first = await register({ idempotencyKey: 'same-key' });
    const second = await register({ idempotencyKey: 'same-key' });
    expect(second.version).toBe(first.version);
    expect(await versionsInMlflow(model)).toHaveLength(1);
    expect(await runsWithKey(model, 'same-key')).toHaveLength(1);
    expect((await registry.findVersionByIdempotencyKey(model, 'same-key'))?.version).toBe(first.version);
    expect(await registry.findVersionByIdempotencyKey(model, 'other-key')).toBeUndefined();
  });

  it.each(['before-create-version', 'after-create-version', 'after-set-alias'] as const)(
    'finishes a registration that crashed %s on retry, leaving exactly one version and one run',
    async (crashAt) => {
      const artifact = await writeArtifact(dir, 'crash model', `${model}.json`);
      const request = newVersion(artifact, { model, idempotencyKey: `crash-${crashAt}`, aliases: ['challenger'] });
      const crashing = new MlflowRegistry(new CrashingClient(mlflow.url, crashAt));
      await expect(crashing.registerVersion(request)).rejects.toThrow(/worker died/);
      expect(await versionsInMlflow(model)).toHaveLength(crashAt === 'before-create-version' ? 0 : 1);

      const retried = await registry.registerVersion(request);
      const versions = await versionsInMlflow(model);
      expect(versions).toHaveLength(1);
      expect(retried.version).toBe(Number(versions[0]!.version));
      expect(await runsWithKey(model, request.idempotencyKey)).toHaveLength(1);
      expect(tag(versions[0]!.tags, 'mlops.registration')).toBe('complete');
      expect(await aliasTarget(model, 'challenger')).toBe(versions[0]!.version);
    },
  );

  it('takes an existing registered model as it is', async () => {
    await mlflowApi(mlflow.url, 'POST', 'registered-models/create', { name: model, description: 'made by hand' });
    const version = await register();
    expect(version.version).toBe(1);
    const { registered_model } = await mlflowApi<{ registered_model: { description?: string } }>(mlflow.url, 'GET', 'registered-models/get', { name: model });
    expect(registered_model.description).toBe('made by hand');
  });

  it('refuses a malformed record before touching MLflow', async () => {
    await expect(register({ status: 'champion' as 'candidate' })).rejects.toThrow(/a new version starts as "candidate" or "rejected"/);
    await expect(register({ attachments: { '../escape': '/etc/hostname' } })).rejects.toThrow(/attachment name/);
    expect(await registry.getVersion(model, 1)).toBeUndefined();
    await expect(registry.listVersions(model)).rejects.toBeInstanceOf(ModelNotFoundError);
  });
});

describe('status and aliases in MLflow', () => {
  it('moving champion archives the previous champion and ends the new one\'s challenge', async () => {
    const v1 = await register({ aliases: ['challenger'] });
    await registry.setAlias(model, 'champion', v1.version, 'first deploy');
    const v2 = await register({ aliases: ['challenger'] });
    await registry.setAlias(model, 'champion', v2.version, 'canary passed');

    expect(await aliasTarget(model, 'champion')).toBe('2');
    expect(await aliasTarget(model, 'challenger')).toBeUndefined();
    const [first, second] = (await versionsInMlflow(model)).sort((a, b) => Number(a.version) - Number(b.version));
    expect(tag(first!.tags, 'mlops.status')).toBe('archived');
    expect(tag(first!.tags, 'mlops.status_reason')).toBe('replaced as champion by version 2: canary passed');
    expect(tag(second!.tags, 'mlops.status')).toBe('champion');

    expect((await registry.getVersionByAlias(model, 'champion'))?.version).toBe(2);
    expect((await registry.listVersions(model)).map((v) => [v.version, v.status, v.aliases])).toEqual([[1, 'archived', []], [2, 'champion', ['champion']]]);
    expect((await registry.listModels()).find((m) => m.name === model)).toMatchObject({ latestVersion: 2, aliases: { champion: 2 } });
  });

  it('tags a rejection with its reason once, even when retried, and keeps a rejected version from champion', async () => {
    const version = await register({ aliases: ['challenger'] });
    await registry.removeAlias(model, 'challenger', 'canary rolled back');
    await registry.setStatus(model, version.version, 'rejected', 'canary breached the SLA');
    await registry.setStatus(model, version.version, 'rejected', 'canary breached the SLA');

    const [stored] = await versionsInMlflow(model);
    expect(tag(stored!.tags, 'mlops.status')).toBe('rejected');
    expect(JSON.parse(tag(stored!.tags, 'mlops.rejection_reasons')!)).toEqual(['canary breached the SLA']);
    expect(await aliasTarget(model, 'challenger')).toBeUndefined();
    await expect(registry.setAlias(model, 'champion', version.version)).rejects.toBeInstanceOf(StatusTransitionError);
    expect(await aliasTarget(model, 'champion')).toBeUndefined();
  });

  it('keeps the champion\'s status while it holds the alias, and archives it when the alias is removed', async () => {
    const version = await register();
    await registry.setStatus(model, version.version, 'champion', 'manual');
    expect(await aliasTarget(model, 'champion')).toBe('1');
    await expect(registry.setStatus(model, version.version, 'archived')).rejects.toBeInstanceOf(StatusTransitionError);
    await registry.removeAlias(model, 'champion', 'retired');
    expect((await registry.getVersion(model, version.version))?.status).toBe('archived');
    expect(await registry.getVersionByAlias(model, 'champion')).toBeUndefined();
    await registry.removeAlias(model, 'champion'); // nobody holds it: a no-op
  });
});

describe('artifacts from MLflow', () => {
  it('round-trips the model and attachments with their sha256 verified', async () => {
    const profile = await writeArtifact(dir, '{"columns":{}}', 'reference-profile.json');
    const version = await register({ attachments: { 'reference-profile.json': profile } }, 'the model bytes');
    const out = await makeTempDir('mlflow-download-');
    try {
      const downloaded = await registry.downloadArtifact(model, version.version, out.dir);
      expect(downloaded.sha256).toBe(sha256('the model bytes'));
      expect(await readFile(downloaded.path, 'utf8')).toBe('the model bytes');
      const attachment = await registry.downloadAttachment(model, version.version, 'reference-profile.json', path.join(out.dir, 'profile.json'));
      expect(attachment?.sha256).toBe(sha256('{"columns":{}}'));
      expect(await registry.downloadAttachment(model, version.version, 'missing.json', path.join(out.dir, 'x'))).toBeUndefined();

      await writeFile(path.join(out.dir, 'drift.json'), '{"drift":true}');
      await registry.attachFile(model, version.version, 'drift.json', path.join(out.dir, 'drift.json'));
      expect((await registry.getVersion(model, version.version))?.attachments['drift.json']).toEqual({ sha256: sha256('{"drift":true}'), size: 14 });
    } finally {
      await out.cleanup();
    }
  });

  it('refuses bytes changed in MLflow\'s artifact store, leaving no file behind', async () => {
    const version = await register({}, 'original bytes');
    const [stored] = await versionsInMlflow(model);
    const { run } = await mlflowApi<{ run: MlflowRun }>(mlflow.url, 'GET', 'runs/get', { run_id: stored!.run_id! });
    const modelDir = path.join(mlflow.directory, 'artifacts', run.info.experiment_id, run.info.run_id, 'artifacts', 'model');
    const [file] = await readdir(modelDir);
    await writeFile(path.join(modelDir, file!), 'tampered bytes');

    const destination = path.join(dir, `${model}-download.json`);
    await expect(registry.downloadArtifact(model, version.version, destination)).rejects.toBeInstanceOf(ArtifactIntegrityError);
    expect(await stat(destination).catch(() => undefined)).toBeUndefined();
  });
});

describe('auth headers from environment variables', () => {
  it('sends the bearer token and extra headers the definition names, and maps a refusal to MlflowAuthError', async () => {
    const proxy = await startMlflowProxy(mlflow.url, { requireHeaders: { authorization: 'Bearer s3cret-token', 'x-team': 'risk' } });
    process.env.TEST_MLFLOW_TOKEN = 's3cret-token';
    process.env.TEST_MLFLOW_HEADERS = '{"X-Team": "risk"}';
    try {
      const section = mlflow.registrySection({ trackingUri: proxy.url, authTokenEnv: 'TEST_MLFLOW_TOKEN', headersEnv: 'TEST_MLFLOW_HEADERS' });
      const authed = await openRegistry(section, { dataDir: dir });
      const artifact = await writeArtifact(dir, 'authed model', `${model}.json`);
      const version = await authed.registerVersion(newVersion(artifact, { model }));
      expect(version.version).toBe(1);
      expect(proxy.seen.some((r) => r.method === 'PUT' && r.path.startsWith('/api/2.0/mlflow-artifacts/'))).toBe(true);
      expect(proxy.seen.every((r) => r.headers.authorization === 'Bearer s3cret-token' && r.headers['x-team'] === 'risk')).toBe(true);

      process.env.TEST_MLFLOW_TOKEN = 'wrong';
      const refused = await openRegistry(section, { dataDir: dir });
      const error = await refused.getVersion(model, 1).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(MlflowAuthError);
      expect(error).toBeInstanceOf(MlflowRequestError);
      expect((error as MlflowAuthError).retryable).toBe(false);
    } finally {
      delete process.env.TEST_MLFLOW_TOKEN;
      delete process.env.TEST_MLFLOW_HEADERS;
      await proxy.close();
    }
  });
});

describe('mlops registry list|show --mlflow', () => {
  it('lists the models and shows a version read from MLflow', async () => {
    await register({ aliases: ['challenger'] });
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((text: string) => void printed.push(text));
    try {
      expect(await registryListCommand({ mlflow: mlflow.url })).toBe(0);
      expect(await registryShowCommand(model, '1', { mlflow: mlflow.url })).toBe(0);
    } finally {
      log.mockRestore();
    }
    expect(printed[0]).toMatch(new RegExp(`^${model} +1 +- +1 `, 'm'));
    expect(printed[1]).toContain(`Model ${model}, version 1 (candidate)`);
    expect(printed[1]).toMatch(/aliases +challenger/);
    expect(printed[1]).toMatch(/roc_auc +0\.9100/);
  });
});
