/**
 * The MLflow registry: the ModelRegistry port over a real MLflow tracking server (REST only).
 *
 * One registration = one MLflow run (in experiment `mlops/<model>`, or the configured one) with
 * params, metrics, gate tags and the model file uploaded through the artifact proxy to
 * `<run>/artifacts/model/<file>`; then the registered model (created when missing) gets a
 * version from `runs:/<run_id>/model`, created with every `mlops.*` tag at once (status, sha256,
 * gates, lineage ...). Numbering is MLflow's. Aliases are MLflow aliases; stages are never used.
 *
 * Idempotency without transactions: the run is found by its `mlops.idempotency_key` tag and
 * the version by its run id, so a retried registration (say, after the worker was killed
 * mid-call) resumes where the first attempt stopped and never makes a second version. The last
 * step tags the version `mlops.registration=complete`.
 *
 * The status and alias rules are the embedded registry's (see embedded-registry.ts), applied as
 * a sequence of idempotent steps, ordered so that a retry after a crash completes them:
 * - `champion` moves with MLflow's alias call first (atomic there), then every other version
 *   with status champion is archived, the new champion loses `challenger`, and its status
 *   becomes champion last; so "status champion" implies the rest is done.
 * - A rejected version cannot take `champion`; the champion cannot change status while it holds
 *   the alias; removing `champion` archives its holder; rejecting with a reason appends it.
 * Two processes changing the same model's aliases at the same moment are not serialised as in
 * SQLite; the pipeline never does that (one workflow per model and data version).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { modelFormatOf, scoringModelOf } from '../model/open-scoring-model.js';
import { readOnnxModelHeader } from '../model/onnx-model-header.js';
import { mlflowOnnxModelFiles } from './mlflow-model-files.js';
import { sha256File } from '../data/content-hash.js';
import { filterString, MlflowClient, tagValue, type MlflowExperiment, type MlflowModelVersion, type MlflowRun } from './mlflow-client.js';
import { mlflowClientOptions, type MlflowRegistrySection } from './mlflow-connection.js';
import { MlflowConfigurationError } from './mlflow-errors.js';
import { ATTACHMENT_DIRECTORY, MODEL_DIRECTORY, newVersionTags, runRecord, statusOf, TAG, toModelVersion } from './mlflow-version-tags.js';
import {
  ArtifactIntegrityError,
  InvalidRegistryInputError,
  ModelNotFoundError,
  StatusTransitionError,
  type Alias,
  type ModelRegistry,
  type ModelVersion,
  type NewModelVersion,
  type RegisteredModel,
  type VersionStatus,
} from './model-registry.js';
import { checkAlias, checkModelName, checkStatus, checkVersionNumber, parseNewModelVersion } from './registry-input.js';

const CHAMPION = 'champion';
const CHALLENGER = 'challenger';
const ATTACHMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Reads in flight at once when listing (a run per version, versions per model). */
const CONCURRENT_READS = 8;

export class MlflowRegistry implements ModelRegistry {
  constructor(
    readonly client: MlflowClient,
    /** Experiment name for a model's runs; default `mlops/<model>`. */
    private readonly experimentFor: (model: string) => string = (model) => `mlops/${model}`,
  ) {}

  /** The adapter for a pipeline definition's registry section; auth values come from `env` now. */
  static fromSection(section: MlflowRegistrySection, env: NodeJS.ProcessEnv = process.env): MlflowRegistry {
    const experiment = section.experiment;
    return new MlflowRegistry(new MlflowClient(mlflowClientOptions(section, env)), experiment === undefined ? undefined : () => experiment);
  }

  async registerVersion(input: NewModelVersion): Promise<ModelVersion> {
    const request = parseNewModelVersion(input);
    const attachments = Object.entries(input.attachments ?? {});
    for (const [name] of attachments) checkAttachmentName(name);
    const existing = await this.findMlflowVersionByKey(request.model, request.idempotencyKey);
    if (existing !== undefined && tagValue(existing.tags, TAG.registration) === 'complete') return this.toPortVersion(existing);

    const experiment = await this.client.getOrCreateExperiment(this.experimentFor(request.model), [{ key: 'mlops.managed', value: 'true' }]);
    const run = await this.findOrCreateRun(experiment, request);
    const root = artifactRoot(run);
    const artifactFile = path.basename(request.artifactPath);
    const artifact = await this.upload(request.artifactPath, root, `${MODEL_DIRECTORY}/${artifactFile}`);
    await this.uploadMlflowModel(request.artifactPath, artifactFile, artifact, root);
    const stored = await Promise.all(attachments.map(async ([name, file]) => [name, await this.upload(file, root, `${ATTACHMENT_DIRECTORY}/${name}`)] as const));
    if (tagValue(run.data.tags, TAG.logged) !== 'true') await this.client.logBatch(run.info.run_id, runRecord(request, Date.now()));

    await this.client.createRegisteredModel(request.model, { tags: [{ key: 'mlops.managed', value: 'true' }] });
    let version = existing ?? (await this.client.searchModelVersions(`name = ${filterString(request.model)} AND run_id = ${filterString(run.info.run_id)}`))[0];
    if (version === undefined) {
      const tags = [
        ...newVersionTags(request, { ...artifact, path: `${MODEL_DIRECTORY}/${artifactFile}` }, new Date().toISOString()),
        ...stored.map(([name, file]) => ({ key: `${TAG.attachmentPrefix}${name}`, value: JSON.stringify(file) })),
      ];
      version = await this.client.createModelVersion({
        name: request.model, source: `runs:/${run.info.run_id}/${MODEL_DIRECTORY}`, runId: run.info.run_id, tags, description: request.description,
      });
    }
    const number = Number(version.version);
    for (const alias of request.aliases ?? []) await this.setAlias(request.model, alias, number, `registered with alias ${alias}`);
    if (run.info.status !== 'FINISHED') await this.client.updateRun(run.info.run_id, 'FINISHED', Date.now());
    await this.client.setModelVersionTag(request.model, number, TAG.registration, 'complete');
    return (await this.getVersion(request.model, number))!;
  }

  async getVersion(model: string, version: number): Promise<ModelVersion | undefined> {
    checkModelName(model);
    checkVersionNumber(version);
    const found = await this.client.getModelVersion(model, version);
    return found === undefined ? undefined : this.toPortVersion(found);
  }

  async getVersionByAlias(model: string, alias: Alias): Promise<ModelVersion | undefined> {
    checkModelName(model);
    checkAlias(alias);
    const found = await this.client.getModelVersionByAlias(model, alias);
    return found === undefined ? undefined : this.toPortVersion(found);
  }

  async findVersionByIdempotencyKey(model: string, key: string): Promise<ModelVersion | undefined> {
    checkModelName(model);
    const found = await this.findMlflowVersionByKey(model, key);
    return found === undefined ? undefined : this.toPortVersion(found);
  }

  async listModels(): Promise<RegisteredModel[]> {
    const models = await this.client.searchRegisteredModels();
    const listed = await mapConcurrently(models, async (model): Promise<RegisteredModel | undefined> => {
      // `latest_versions` (one per legacy stage; all ours are stage "None") names the newest; older servers may omit it.
      const latest = model.latest_versions?.length ? model.latest_versions : await this.client.searchModelVersions(`name = ${filterString(model.name)}`);
      if (latest.length === 0) return undefined;
      return {
        name: model.name,
        createdAt: new Date(model.creation_timestamp ?? 0).toISOString(),
        latestVersion: Math.max(...latest.map((v) => Number(v.version))),
        aliases: Object.fromEntries((model.aliases ?? []).map((a) => [a.alias, Number(a.version)] as const).sort(([a], [b]) => a.localeCompare(b))),
      };
    });
    return listed.filter((model): model is RegisteredModel => model !== undefined);
  }

  async listVersions(model: string): Promise<ModelVersion[]> {
    checkModelName(model);
    const registered = await this.client.getRegisteredModel(model);
    if (registered === undefined) throw new ModelNotFoundError(`no model "${model}" in the MLflow registry at ${this.client.baseUrl}`);
    // Searches do not return aliases; the registered model lists them.
    const aliases = new Map<number, string[]>();
    for (const { alias, version } of registered.aliases ?? []) aliases.set(Number(version), [...(aliases.get(Number(version)) ?? []), alias]);
    const versions = await this.client.searchModelVersions(`name = ${filterString(model)}`);
    versions.sort((a, b) => Number(a.version) - Number(b.version));
    return mapConcurrently(versions, (v) => this.toPortVersion(v, aliases.get(Number(v.version)) ?? []));
  }

  async setAlias(model: string, alias: Alias, version: number, reason?: string): Promise<void> {
    checkModelName(model);
    checkAlias(alias);
    checkVersionNumber(version);
    const target = await this.requireVersion(model, version);
    if (alias !== CHAMPION) {
      await this.client.setAlias(model, alias, version);
      return;
    }
    if (statusOf(target) === 'rejected') throw new StatusTransitionError(`version ${version} of "${model}" is rejected and cannot take the champion alias`);
    await this.client.setAlias(model, CHAMPION, version);
    await this.crownChampion(target, reason);
  }

  async removeAlias(model: string, alias: Alias, reason?: string): Promise<void> {
    checkModelName(model);
    checkAlias(alias);
    await this.requireModel(model);
    const holder = await this.client.getModelVersionByAlias(model, alias);
    if (holder === undefined) return;
    await this.client.deleteAlias(model, alias);
    if (alias === CHAMPION) await this.writeStatus(holder, 'archived', reason ?? 'champion alias removed');
  }

  async setStatus(model: string, version: number, status: VersionStatus, reason?: string): Promise<ModelVersion> {
    checkModelName(model);
    checkVersionNumber(version);
    checkStatus(status);
    const target = await this.requireVersion(model, version);
    if (statusOf(target) !== status) {
      if (status === CHAMPION) {
        await this.setAlias(model, CHAMPION, version, reason);
      } else {
        if ((target.aliases ?? []).includes(CHAMPION)) {
          throw new StatusTransitionError(
            `version ${version} of "${model}" holds the champion alias and cannot become ${status}; point champion at another version (or remove the alias) first`,
          );
        }
        await this.writeStatus(target, status, reason);
      }
    }
    return (await this.getVersion(model, version))!;
  }

  async downloadArtifact(model: string, version: number, destination: string): Promise<{ path: string; sha256: string }> {
    checkModelName(model);
    checkVersionNumber(version);
    const found = await this.requireVersion(model, version);
    const artifactPath = tagValue(found.tags, TAG.artifactPath);
    if (artifactPath === undefined) throw new ArtifactIntegrityError(`"${model}" version ${version} has no ${TAG.artifactPath} tag: it was not registered by this control plane, so its artifact cannot be verified`);
    const isDirectory = (await stat(destination).catch(() => undefined))?.isDirectory() ?? false;
    const target = isDirectory ? path.join(destination, path.basename(artifactPath)) : destination;
    const expected = { sha256: tagValue(found.tags, TAG.artifactSha256) ?? '', size: Number(tagValue(found.tags, TAG.artifactSize) ?? -1) };
    return this.downloadVerified(found, artifactPath, expected, target, `"${model}" version ${version}`);
  }

  async attachFile(model: string, version: number, name: string, file: string): Promise<{ sha256: string; size: number }> {
    checkModelName(model);
    checkVersionNumber(version);
    checkAttachmentName(name);
    const found = await this.requireVersion(model, version);
    const stored = await this.upload(file, artifactRoot(await this.requireRun(found)), `${ATTACHMENT_DIRECTORY}/${name}`);
    await this.client.setModelVersionTag(model, version, `${TAG.attachmentPrefix}${name}`, JSON.stringify(stored));
    return stored;
  }

  async downloadAttachment(model: string, version: number, name: string, destination: string): Promise<{ path: string; sha256: string } | undefined> {
    checkModelName(model);
    checkVersionNumber(version);
    const found = await this.requireVersion(model, version);
    const recorded = toModelVersion(found, undefined).attachments[name];
    if (recorded === undefined) return undefined;
    return this.downloadVerified(found, `${ATTACHMENT_DIRECTORY}/${name}`, recorded, destination, `"${model}" version ${version} attachment ${name}`);
  }

  async close(): Promise<void> {
    // Stateless over HTTP: nothing to release.
  }

  // ---------------------------------------------------------------- registration steps

  private async findMlflowVersionByKey(model: string, key: string): Promise<MlflowModelVersion | undefined> {
    const filter = `name = ${filterString(model)} AND tags.\`${TAG.idempotencyKey}\` = ${filterString(key)}`;
    const found = await this.client.searchModelVersions(filter).catch((err: unknown) => {
      if ((err as { name?: string }).name === 'MlflowNotFoundError') return [];
      throw err;
    });
    return found.sort((a, b) => Number(a.version) - Number(b.version))[0];
  }

  /**
   * The run holding this registration: found by its idempotency-key tag, else created. When two
   * attempts raced to create it, the earliest run wins and the other is deleted.
   */
  private async findOrCreateRun(experiment: MlflowExperiment, request: NewModelVersion): Promise<MlflowRun> {
    const search = () =>
      this.client.searchRuns({
        experimentIds: [experiment.experiment_id],
        filter: `tags.\`${TAG.idempotencyKey}\` = ${filterString(request.idempotencyKey)}`,
        orderBy: ['attributes.start_time ASC', 'attributes.run_id ASC'],
      });
    const found = (await search())[0];
    if (found !== undefined) return found;
    const created = await this.client.createRun({
      experimentId: experiment.experiment_id,
      runName: `${request.model}-${request.lineage.dataVersion.slice(0, 12)}`,
      tags: [{ key: TAG.idempotencyKey, value: request.idempotencyKey }],
    });
    const winner = (await search())[0] ?? created;
    if (winner.info.run_id !== created.info.run_id) await this.client.deleteRun(created.info.run_id);
    return winner;
  }

  /**
   * For an ONNX artifact, the MLmodel and environment files beside it in `model/`, so MLflow's
   * clients load the version by name or alias (the version's source is `runs:/<run>/model`).
   * Our linear JSON has no MLflow flavor; those versions stay files our own servers load.
   */
  private async uploadMlflowModel(file: string, modelFile: string, stored: { sha256: string; size: number }, root: string): Promise<void> {
    // The registry stores any file; only a readable ONNX model gets a flavor.
    const bytes = await readFile(file);
    if (modelFormatOf(bytes) !== 'onnx' || 'problem' in readOnnxModelHeader(bytes)) return;
    const model = await scoringModelOf(file, bytes);
    await model.close();
    if (!model.tensors) return;
    const files = mlflowOnnxModelFiles({ modelFile, sizeBytes: stored.size, sha256: stored.sha256, tensors: model.tensors, createdAt: new Date() });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mlops-mlmodel-'));
    try {
      for (const [name, content] of Object.entries(files)) {
        await writeFile(path.join(dir, name), content);
        await this.client.uploadArtifact(`${root}/${MODEL_DIRECTORY}/${name}`, path.join(dir, name));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Uploads a local file to the run's artifacts and returns its sha256 and size. */
  private async upload(file: string, root: string, relativePath: string): Promise<{ sha256: string; size: number }> {
    const info = await stat(file).catch(() => undefined);
    if (info === undefined) throw new InvalidRegistryInputError(`artifact not found: ${file}`);
    if (!info.isFile()) throw new InvalidRegistryInputError(`artifact must be a single file, got a directory: ${file} (pack a directory into one file, e.g. a tar, first)`);
    const { sha256, sizeBytes } = await sha256File(file);
    await this.client.uploadArtifact(`${root}/${relativePath}`, file);
    return { sha256, size: sizeBytes };
  }

  private async downloadVerified(
    version: MlflowModelVersion,
    relativePath: string,
    expected: { sha256: string; size: number },
    destination: string,
    label: string,
  ): Promise<{ path: string; sha256: string }> {
    const root = artifactRoot(await this.requireRun(version));
    // Like the embedded registry, the destination's folder is created when missing.
    await mkdir(path.dirname(destination), { recursive: true });
    const temporary = `${destination}.${randomUUID()}.partial`;
    try {
      const got = await this.client.downloadArtifact(`${root}/${relativePath}`, temporary);
      if (got.sha256 !== expected.sha256 || got.size !== expected.size) {
        throw new ArtifactIntegrityError(
          `artifact of ${label} in MLflow does not match what was registered: recorded sha256 ${expected.sha256 || '(none)'} (${expected.size} bytes), ` +
            `downloaded bytes hash to ${got.sha256} (${got.size} bytes)`,
        );
      }
      await rename(temporary, destination);
      return { path: destination, sha256: got.sha256 };
    } finally {
      await rm(temporary, { force: true });
    }
  }

  // ---------------------------------------------------------------- status and aliases

  /** After `champion` moved to `target`: archive the other champions, drop its challenger alias, crown it. */
  private async crownChampion(target: MlflowModelVersion, reason: string | undefined): Promise<void> {
    const others = await this.client.searchModelVersions(`name = ${filterString(target.name)} AND tags.\`${TAG.status}\` = 'champion'`);
    const replaced = `replaced as champion by version ${target.version}${reason === undefined ? '' : `: ${reason}`}`;
    for (const other of others) if (other.version !== target.version) await this.writeStatus(other, 'archived', replaced);
    if ((target.aliases ?? []).includes(CHALLENGER)) await this.client.deleteAlias(target.name, CHALLENGER);
    if (statusOf(target) !== 'champion') await this.writeStatus(target, 'champion', reason);
  }

  /** Writes the status tags; a rejection reason is appended first, once, so a retry does not repeat it. */
  private async writeStatus(version: MlflowModelVersion, to: VersionStatus, reason: string | undefined): Promise<void> {
    const { name } = version;
    if (to === 'rejected' && reason !== undefined) {
      const reasons = toModelVersion(version, undefined).rejectionReasons;
      if (reasons.at(-1) !== reason) await this.client.setModelVersionTag(name, version.version, TAG.rejectionReasons, JSON.stringify([...reasons, reason]));
    }
    if (reason !== undefined) await this.client.setModelVersionTag(name, version.version, TAG.statusReason, reason);
    await this.client.setModelVersionTag(name, version.version, TAG.updatedAt, new Date().toISOString());
    await this.client.setModelVersionTag(name, version.version, TAG.status, to);
  }

  // ---------------------------------------------------------------- reads

  private async toPortVersion(version: MlflowModelVersion, aliases?: readonly string[]): Promise<ModelVersion> {
    const run = version.run_id ? await this.client.getRun(version.run_id) : undefined;
    return toModelVersion(version, run, aliases ?? version.aliases ?? []);
  }

  private async requireModel(model: string): Promise<void> {
    if ((await this.client.getRegisteredModel(model)) === undefined) throw new ModelNotFoundError(`no model "${model}" in the MLflow registry at ${this.client.baseUrl}`);
  }

  private async requireVersion(model: string, version: number): Promise<MlflowModelVersion> {
    const found = await this.client.getModelVersion(model, version);
    if (found === undefined) {
      await this.requireModel(model);
      throw new ModelNotFoundError(`model "${model}" has no version ${version} in the MLflow registry at ${this.client.baseUrl}`);
    }
    return found;
  }

  private async requireRun(version: MlflowModelVersion): Promise<MlflowRun> {
    const run = version.run_id ? await this.client.getRun(version.run_id) : undefined;
    if (run === undefined) throw new ArtifactIntegrityError(`the MLflow run of "${version.name}" version ${version.version} (${version.run_id || 'none'}) no longer exists`);
    return run;
  }
}

/**
 * The run's artifact root as a path under the artifact proxy: `mlflow-artifacts:/1/<run>/artifacts`
 * → `1/<run>/artifacts`. Any other scheme (s3://, file:) means the server does not proxy this
 * experiment's artifacts, and we cannot upload through it.
 */
export function artifactRoot(run: MlflowRun): string {
  const uri = run.info.artifact_uri ?? '';
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/+(.*?)\/*$/.exec(uri);
  if (match === null) {
    throw new MlflowConfigurationError(
      `the MLflow run ${run.info.run_id} stores artifacts at ${JSON.stringify(uri)}, which the server does not proxy; ` +
        `use an experiment whose artifact location is mlflow-artifacts:/... (an MLflow server started with --artifacts-destination, serving artifacts)`,
    );
  }
  return match[1]!;
}

/** Calls MLflow for each item, a few at a time, in order: a model with many versions must not open hundreds of requests at once. */
async function mapConcurrently<T, R>(items: readonly T[], map: (item: T) => Promise<R>, limit = CONCURRENT_READS): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function checkAttachmentName(name: string): void {
  if (!ATTACHMENT_NAME.test(name)) throw new InvalidRegistryInputError(`attachment name ${JSON.stringify(name)}: expected letters, digits, '.', '_' or '-'`);
}
