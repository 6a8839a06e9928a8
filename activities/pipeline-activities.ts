/**
 * The activities of `modelPipeline`: thin, idempotent wrappers over the ports in src/.
 * Errors retrying cannot fix become non-retryable ApplicationFailures with a type name.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ParsedPipelineRunInput } from '../src/spec/run-input.js';
import type { PipelineDefinition } from '../src/spec/schema.js';
import { loadDefinitionFile, parseDefinitionObject, parseDefinitionText, type LoadedDefinition } from '../src/spec/load.js';
import { checkDataSource, checkDefinition, checkDefinitionFile, checkTrainer } from '../src/policy/check-pipeline.js';
import { defaultWorkerPolicy, type WorkerPolicy } from '../src/policy/worker-policy.js';
import { readingSnapshot, type DataSnapshot } from '../src/data/snapshot.js';
import { snapshotDataSource } from '../src/data/data-source-snapshot.js';
import { dataObjectUrl, type DataObject } from '../src/data/data-source-url.js';
import { loadDataset } from '../src/data/load-dataset.js';
import { DataContractViolation } from '../src/data/contract.js';
import { checkDataContractOnFile } from '../src/data/contract-file.js';
import type { ExpectedFeatureKinds } from '../src/data/feature-kinds.js';
import { downloadReferenceProfile } from '../src/drift/profile-file.js';
import { featureSpecs } from '../src/drift/profile.js';
import type { GateResult } from '../src/evaluate/gate-result.js';
import { openRegistry } from '../src/registry/open-registry.js';
import { REFERENCE_PROFILE_ATTACHMENT } from '../src/drift/reference-profile-attachment.js';
import { runTrainingJob, type TrainedModel } from '../src/train/training-job.js';
import { runEvaluationJob, type Evaluation } from '../src/evaluate/evaluation-job.js';
import { openBlobStore } from '../src/storage/open-blob-store.js';
import { readVersionLabel } from '../src/storage/blob-store.js';
import { localCopy, shareFile } from '../src/storage/shared-file.js';
import { isPermanentImageFailure, runServingImageJob, type ServingImageSummary } from '../src/build/serving-image-job.js';

export interface ActivityDependencies {
  /** Root of everything the embedded defaults store: snapshots, runs, registry. */
  dataDir: string;
  /** The code version recorded in each model version's lineage (git commit). */
  codeVersion: string;
  /** What a workflow start may make this worker read or run; default: defaultWorkerPolicy(). */
  policy?: WorkerPolicy;
}

export interface LoadedPipeline {
  definition: PipelineDefinition;
  definitionHash: string;
}

export interface ContractSummary {
  rowCount: number;
  checks: number;
}

export interface RegisterInput {
  definition: PipelineDefinition;
  definitionHash: string;
  snapshot: DataSnapshot;
  model: TrainedModel;
  evaluation: Evaluation;
  trigger: string;
  workflowId: string;
  runId: string;
}

export interface RegisteredVersion {
  version: number;
  status: 'candidate' | 'rejected';
}

export type { DataSnapshot, TrainedModel, Evaluation, GateResult, ServingImageSummary };

export function createPipelineActivities(deps: ActivityDependencies) {
  // With `storage`, what one activity writes for the next goes through the blob store too (shared-file.ts),
  // so the next may run on any worker: the snapshot, the artifact, its reference profile.
  const storeOf = (definition: PipelineDefinition) => (definition.storage ? openBlobStore(definition.storage) : undefined);
  const localSnapshot = async (definition: PipelineDefinition, snapshot: DataSnapshot): Promise<DataSnapshot> => {
    const store = storeOf(definition);
    return store && snapshot.shared ? { ...snapshot, path: await localCopy(store, snapshot.shared, snapshot.path, deps.dataDir) } : snapshot;
  };
  const localModel = async (definition: PipelineDefinition, model: TrainedModel): Promise<TrainedModel> => {
    const store = storeOf(definition);
    if (!store || !model.shared) return model;
    const artifactPath = await localCopy(store, model.shared.artifact, model.artifactPath, deps.dataDir);
    const referenceProfilePath = model.shared.referenceProfile && model.referenceProfilePath
      ? await localCopy(store, model.shared.referenceProfile, model.referenceProfilePath, deps.dataDir)
      : model.referenceProfilePath;
    return { ...model, artifactPath, ...(referenceProfilePath !== undefined ? { referenceProfilePath } : {}) };
  };

  const policy = deps.policy ?? defaultWorkerPolicy();
  return {
    async loadPipelineDefinition(input: ParsedPipelineRunInput): Promise<LoadedPipeline> {
      return nonRetryableOn(async () => {
        let loaded: LoadedDefinition;
        if (input.pipelineFile !== undefined) {
          // The policy first: a path outside the roots is refused before it is opened.
          const file = checkDefinitionFile(policy, path.resolve(input.pipelineFile));
          loaded = await loadDefinitionFile(file);
          checkDefinition(policy, loaded.definition, { kind: 'file', file });
        } else {
          loaded = typeof input.pipeline === 'string' ? parseDefinitionText(input.pipeline) : parseDefinitionObject(input.pipeline);
          checkDefinition(policy, loaded.definition, { kind: 'inline' });
        }
        return { definition: loaded.definition, definitionHash: loaded.definitionHash };
      });
    },

    /** The data named by `data.source`, or the S3 object (and version) the run's input names. */
    async snapshotData(args: { definition: PipelineDefinition; expectedDataVersion?: string; dataObject?: DataObject }): Promise<DataSnapshot> {
      return nonRetryableOn(async () => {
        const { data, storage } = args.definition;
        const source = args.dataObject ? dataObjectUrl(args.dataObject) : data.source;
        // Again here: a definition (or an object) can reach this activity without loadPipelineDefinition.
        checkDataSource(policy, source);
        const snapshot = await snapshotDataSource(data.source, deps.dataDir, { format: data.format, storage, object: args.dataObject, expectedDataVersion: args.expectedDataVersion });
        if (args.expectedDataVersion && !snapshot.sha256.startsWith(args.expectedDataVersion)) {
          const label = args.dataObject && readVersionLabel(args.dataObject);
          const version = label ? ` (${label})` : '';
          throw new DataVersionMismatch(`the data at ${source}${version} changed after the run was started: expected version ${args.expectedDataVersion}, found ${snapshot.dataVersion}`);
        }
        const store = storeOf(args.definition);
        return store ? { ...snapshot, shared: await shareFile(store, snapshot.path) } : snapshot;
      });
    },

    async checkDataContract(args: { definition: PipelineDefinition; snapshot: DataSnapshot }): Promise<ContractSummary> {
      return nonRetryableOn(async () => {
        const { data } = args.definition;
        const contract = data.contract ?? { minRows: 1, columns: {} };
        // Feature kinds as the previous version saw them (its reference profile), unless pinned by the contract.
        const expectedKinds = await previousFeatureKinds(args.definition, deps.dataDir);
        // Reads only what the checks need (contract-file.ts): the contract's columns, an id's uniqueness by aggregate.
        const snapshot = await localSnapshot(args.definition, args.snapshot);
        const report = await readingSnapshot(snapshot, () =>
          checkDataContractOnFile(snapshot.path, contract, { format: snapshot.format, ...(expectedKinds && { expectedKinds }) }));
        if (!report.passed) throw new DataContractViolation(report);
        return { rowCount: report.rowCount, checks: report.checks.length };
      });
    },

    async trainModel(args: { definition: PipelineDefinition; snapshot: DataSnapshot }): Promise<TrainedModel> {
      const { info } = Context.current();
      const execution = info.workflowExecution ?? { workflowId: 'standalone', runId: info.activityId };
      const runDir = path.join(deps.dataDir, 'runs', safeName(execution.workflowId), execution.runId);
      await mkdir(runDir, { recursive: true });
      // A command's or container's output goes to the activity log (with the workflow and activity ids).
      const log = (line: string) => Context.current().log.info(line, { source: 'trainer' });
      await nonRetryableOn(async () => checkTrainer(policy, args.definition));
      const snapshot = await localSnapshot(args.definition, args.snapshot);
      const model = await nonRetryableOn(() => runTrainingJob({ ...args, snapshot, runDir, heartbeat: (details) => Context.current().heartbeat(details), signal: Context.current().cancellationSignal, log }));
      const store = storeOf(args.definition);
      if (!store) return model;
      const artifact = await shareFile(store, model.artifactPath);
      const referenceProfile = model.referenceProfilePath ? await shareFile(store, model.referenceProfilePath) : undefined;
      return { ...model, shared: { artifact, ...(referenceProfile && { referenceProfile }) } };
    },

    async evaluateModel(args: { definition: PipelineDefinition; snapshot: DataSnapshot; model: TrainedModel }): Promise<Evaluation> {
      const registry = await openRegistry(args.definition.registry, { dataDir: deps.dataDir });
      try {
        const [snapshot, model] = await Promise.all([localSnapshot(args.definition, args.snapshot), localModel(args.definition, args.model)]);
        return await nonRetryableOn(() => runEvaluationJob({ ...args, snapshot, model, registry, dataDir: deps.dataDir }));
      } finally {
        await registry.close();
      }
    },

    async registerModelVersion(args: RegisterInput): Promise<RegisteredVersion> {
      return nonRetryableOn(async () => {
        const model = await localModel(args.definition, args.model);
        const registry = await openRegistry(args.definition.registry, { dataDir: deps.dataDir });
        try {
          const passed = args.evaluation.reasons.length === 0;
          const version = await registry.registerVersion({
            model: args.definition.model,
            // One version per run, even when this activity is retried after a crash.
            idempotencyKey: `${args.workflowId}/${args.runId}`,
            status: passed ? 'candidate' : 'rejected',
            artifactPath: model.artifactPath,
            metrics: args.evaluation.metrics,
            gates: args.evaluation.gates,
            rejectionReasons: args.evaluation.reasons,
            aliases: passed ? ['challenger'] : [],
            attachments: model.referenceProfilePath ? { [REFERENCE_PROFILE_ATTACHMENT]: model.referenceProfilePath } : {},
            description: args.definition.description,
            lineage: {
              dataVersion: args.snapshot.sha256,
              definitionHash: args.definitionHash,
              trainer: args.model.trainer,
              codeVersion: deps.codeVersion,
              workflowId: args.workflowId,
              runId: args.runId,
              parentVersion: args.evaluation.championVersion,
              trigger: args.trigger,
            },
          });
          return { version: version.version, status: version.status === 'rejected' ? 'rejected' : 'candidate' };
        } finally {
          await registry.close();
        }
      });
    },

    /** Builds and pushes the version's serving image (progress as heartbeats) and records its digest in the lineage. */
    async buildServingImage(args: { definition: PipelineDefinition; version: number }): Promise<ServingImageSummary> {
      const context = Context.current();
      try {
        return await runServingImageJob({ ...args, dataDir: deps.dataDir, heartbeat: (details) => context.heartbeat(details), signal: context.cancellationSignal });
      } catch (err) {
        if (isPermanentImageFailure(err)) throw ApplicationFailure.nonRetryable((err as Error).message, (err as Error).name);
        throw err;
      }
    },
  };
}

export type PipelineActivities = ReturnType<typeof createPipelineActivities>;

/** The data changed between starting the run and taking the snapshot. */
export class DataVersionMismatch extends Error {
  override readonly name = 'DataVersionMismatch';
}

/**
 * Errors about the input (definition, data, model files) that retrying cannot fix. Matched by
 * name, because errors from the training thread cross a thread boundary as plain objects.
 */
const INPUT_ERRORS = new Set([
  'SpecError', 'DatasetError', 'DataContractViolation', 'DataVersionMismatch', 'TargetValueError', 'MissingFeatureError',
  'FeatureTypeError', 'TrainingDataError', 'ArtifactError', 'TrainerOutputError', 'ArtifactIntegrityError', 'InvalidEvaluationInput',
  'InvalidRegistryInputError', 'StatusTransitionError', 'MissingReferenceProfile', 'ModelFormatError', 'PolicyViolation',
  // MLflow answers that retrying cannot change (MlflowUnavailableError stays retryable).
  'MlflowRequestError', 'MlflowNotFoundError', 'MlflowAlreadyExistsError', 'MlflowAuthError', 'MlflowConfigurationError',
]);

/** Turns input errors into non-retryable failures typed by the error's name. */
async function nonRetryableOn<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof Error && INPUT_ERRORS.has(err.name)) throw ApplicationFailure.nonRetryable(err.message, err.name);
    throw err;
  }
}

/** The champion's feature kinds (else the latest version that was not rejected), from its reference profile. */
async function previousFeatureKinds(definition: PipelineDefinition, dataDir: string): Promise<ExpectedFeatureKinds | undefined> {
  const registry = await openRegistry(definition.registry, { dataDir });
  try {
    const champion = await registry.getVersionByAlias(definition.model, 'champion');
    const previous = champion ?? (await registry.listVersions(definition.model).catch(() => [])).filter((v) => v.status !== 'rejected').at(-1);
    if (!previous) return undefined;
    const profile = await downloadReferenceProfile(registry, definition.model, previous.version);
    if (!profile) return undefined;
    return { recordedBy: `v${previous.version}${champion ? ' (the champion)' : ''}`, features: featureSpecs(profile) };
  } finally {
    await registry.close();
  }
}

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]+/g, '_');
}
