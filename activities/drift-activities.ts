/**
 * The activities of `driftMonitor`: read the window of the prediction log, compare it with the
 * champion's reference profile, keep the report (HTML + JSON) and export the gauges.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { PipelineDefinition } from '../src/spec/schema.js';
import { openRegistry } from '../src/registry/open-registry.js';
import { readProfile } from '../src/drift/reference-profile.js';
import { featureSpecs, type DriftProfile, type FeatureSpec, type ProfileOptions } from '../src/drift/profile.js';
import { parseProfile, serializeProfile } from '../src/drift/profile-file.js';
import { mergeAllProfiles } from '../src/drift/merge-profiles.js';
import { hourPartition, windowHours } from '../src/serving/prediction-log.js';
import { LOG_PREFIX } from '../src/serving/log-upload.js';
import { withLogWindow } from '../src/storage/log-window.js';
import { openBlobStore } from '../src/storage/open-blob-store.js';
import { FileBlobStore } from '../src/storage/file-blob-store.js';
import type { BlobStore } from '../src/storage/blob-store.js';
import type { ModelVersion } from '../src/registry/model-registry.js';
import { profileFromPredictionLog } from '../src/drift/window-profile.js';
import { compareResolvingUndecided, EVERY_VALUE } from '../src/drift/exact-fallback.js';
import { profileFromTable } from '../src/drift/reference-profile.js';
import { loadDataset } from '../src/data/load-dataset.js';
import { findSnapshotFile } from '../src/data/snapshot.js';
import { writeDriftReport } from '../src/drift/report-html.js';
import type { DriftGauges } from '../src/drift/drift-gauges.js';
import { REFERENCE_PROFILE_ATTACHMENT } from '../src/drift/reference-profile-attachment.js';
import type { ActivityDependencies } from './pipeline-activities.js';

export interface DriftSummary {
  outcome: 'drift' | 'no-drift' | 'insufficient-data' | 'no-champion';
  championVersion?: number;
  currentRows: number;
  evaluated: number;
  share?: number;
  driftedColumns: string[];
  findings: number;
  /** The report's folder: report.html and report.json (on the disk of the worker that wrote it). */
  reportPath?: string;
  /** With `storage`: the report's copy in the object store, readable from any host. */
  reportUrl?: string;
}

export interface DriftWindowArgs {
  definition: PipelineDefinition;
  fromMs: number;
  toMs: number;
  windowKey: string;
}

/** The plan of a fanned-out check: the champion, the features to read (as its reference has them), and the window's hours that hold log files. */
export interface DriftPartitionPlan {
  championVersion?: number;
  features: FeatureSpec[];
  options?: ProfileOptions;
  partitions: Array<{ fromMs: number; toMs: number }>;
}

export function createDriftActivities(deps: ActivityDependencies & { gauges: DriftGauges }) {
  /** Where partition profiles go: the pipeline's storage when it has one (any worker may read them), else this host's data directory. */
  const partitionStore = (definition: PipelineDefinition) => (definition.storage ? openBlobStore(definition.storage) : new FileBlobStore(path.join(deps.dataDir, 'blobs')));

  async function withReference<T>(definition: PipelineDefinition, version: number | 'champion', windowKey: string, run: (context: ReferenceContext) => Promise<T>): Promise<T | DriftSummary> {
    const registry = await openRegistry(definition.registry, { dataDir: deps.dataDir });
    try {
      const champion = version === 'champion' ? await registry.getVersionByAlias(definition.model, 'champion') : await registry.getVersion(definition.model, version);
      if (!champion) return { outcome: 'no-champion', currentRows: 0, evaluated: 0, driftedColumns: [], findings: 0 };
      const dir = path.join(deps.dataDir, 'reports', 'drift', definition.model, windowKey);
      await mkdir(dir, { recursive: true });
      const downloaded = await registry.downloadAttachment(definition.model, champion.version, REFERENCE_PROFILE_ATTACHMENT, path.join(dir, 'reference-profile.json'));
      if (!downloaded) {
        throw ApplicationFailure.nonRetryable(`${definition.model} v${champion.version} has no ${REFERENCE_PROFILE_ATTACHMENT}: it was registered before drift monitoring; retrain to get one`, 'MissingReferenceProfile');
      }
      return await run({ champion, reference: await readProfile(downloaded.path), dir });
    } finally {
      await registry.close();
    }
  }

  /** Compares the window's profile with the reference, resolving undecided columns from every value, and keeps the report. */
  async function compareWindow(args: DriftWindowArgs, { champion, reference, dir }: ReferenceContext, current: DriftProfile): Promise<DriftSummary> {
    const { definition } = args;
    const drift = definition.monitor!.drift!;
    if (current.rows < drift.minRows) {
      return { outcome: 'insufficient-data', championVersion: champion.version, currentRows: current.rows, evaluated: 0, driftedColumns: [], findings: 0 };
    }
    Context.current().heartbeat('comparing');
    const report = await compareResolvingUndecided(reference, current, {
      model: definition.model,
      version: champion.version,
      window: { from: new Date(args.fromMs).toISOString(), to: new Date(args.toMs).toISOString() },
      method: drift.method,
      threshold: drift.threshold,
      columns: drift.columns,
      kinds: drift.kinds,
      datasetThreshold: drift.datasetThreshold,
      missingShareShift: drift.missingShareShift,
      newCategoryCriticalShare: drift.newCategoryCriticalShare,
    }, {
      // Columns whose sketched distance cannot tell the verdict, from every value.
      reference: async (features) => {
        Context.current().heartbeat('reading the training snapshot for undecided columns');
        const snapshot = await findSnapshotFile(deps.dataDir, champion.lineage.dataVersion, definition.storage ? openBlobStore(definition.storage) : undefined);
        return snapshot === undefined ? undefined : profileFromTable(await loadDataset(snapshot), features.map((f) => f.name), { ...reference.options, sampleSize: EVERY_VALUE });
      },
      current: async (features) => {
        Context.current().heartbeat('reading undecided columns of the window in full');
        return withWindowLog(definition, args.fromMs, args.toMs, (dataDir) => profileFromPredictionLog(dataDir, definition.model, args.fromMs, args.toMs, features, { ...reference.options, sampleSize: EVERY_VALUE }));
      },
    });
    await writeDriftReport(report, dir);
    deps.gauges.update(report);
    const reportUrl = definition.storage ? await uploadReport(openBlobStore(definition.storage), dir, `reports/drift/${definition.model}/${args.windowKey}`) : undefined;
    return {
      outcome: report.datasetDrift ? 'drift' : 'no-drift',
      championVersion: champion.version,
      currentRows: report.currentRows,
      evaluated: report.evaluated,
      share: report.share,
      driftedColumns: report.columns.filter((c) => c.drifted).map((c) => c.column),
      findings: report.findings.length,
      reportPath: dir,
      ...(reportUrl && { reportUrl }),
    };
  }

  /** The window's prediction log where this worker can read it (src/storage/log-window.ts). */
  const withWindowLog = <T>(definition: PipelineDefinition, fromMs: number, toMs: number, read: (dataDir: string) => Promise<T>): Promise<T> =>
    withLogWindow({
      store: definition.storage ? openBlobStore(definition.storage) : undefined, dataDir: deps.dataDir, logs: ['predictions'],
      model: definition.model, fromMs, toMs, heartbeat: (details) => Context.current().heartbeat(details),
    }, read);

  /** Bytes of log per hour of the model: from the store when it holds the model's log, else the local directory. */
  async function hourBytesReader(definition: PipelineDefinition): Promise<(model: string, hour: number) => Promise<number>> {
    const local = (model: string, hour: number) => parquetBytes(path.join(deps.dataDir, 'predictions', hourPartition(model, hour)));
    if (!definition.storage) return local;
    const store = openBlobStore(definition.storage);
    if ((await store.list(`${LOG_PREFIX}/predictions/model=${definition.model}/`)).length === 0) return local;
    return async (model, hour) => (await store.list(`${LOG_PREFIX}/predictions/${hourPartition(model, hour)}/`)).reduce((sum, file) => sum + file.size, 0);
  }

  const requireDrift = (definition: PipelineDefinition) => {
    if (!definition.monitor?.drift) throw ApplicationFailure.nonRetryable(`${definition.model}: no monitor.drift section`, 'SpecError');
  };

  return {
    /** The whole window in one pass. */
    async computeDrift(args: DriftWindowArgs): Promise<DriftSummary> {
      requireDrift(args.definition);
      return withReference(args.definition, 'champion', args.windowKey, async (context) => {
        Context.current().heartbeat('reading the prediction log');
        // Read each feature as the reference has it, with the reference's profile options.
        const current = await withWindowLog(args.definition, args.fromMs, args.toMs, (dataDir) => profileFromPredictionLog(dataDir, args.definition.model, args.fromMs, args.toMs, featureSpecs(context.reference), context.reference.options));
        return compareWindow(args, context, current);
      }) as Promise<DriftSummary>;
    },

    /** Fan-out, step 1: the champion, its features, and the hours of the window that hold log files. */
    async planDriftPartitions(args: DriftWindowArgs & { minPartitionBytes?: number }): Promise<DriftPartitionPlan> {
      requireDrift(args.definition);
      const planned = await withReference(args.definition, 'champion', args.windowKey, async ({ champion, reference }) => ({
        championVersion: champion.version,
        features: featureSpecs(reference),
        options: reference.options,
        partitions: await logPartitions(await hourBytesReader(args.definition), args.definition.model, args.fromMs, args.toMs, args.minPartitionBytes ?? DEFAULT_PARTITION_BYTES),
      }));
      return 'partitions' in planned ? planned : { features: [], partitions: [] };
    },

    /** Fan-out, step 2 (one per hour, on any worker): the hour's profile, kept in the blob store under a key of the check and the hour. */
    async profileDriftPartition(args: DriftWindowArgs & { features: FeatureSpec[]; options: ProfileOptions; partition: { fromMs: number; toMs: number } }): Promise<{ key: string; rows: number }> {
      const { definition, partition } = args;
      Context.current().heartbeat(`profiling ${new Date(partition.fromMs).toISOString()}`);
      const profile = await withWindowLog(definition, partition.fromMs, partition.toMs, (dataDir) => profileFromPredictionLog(dataDir, definition.model, partition.fromMs, partition.toMs, args.features, args.options));
      const key = `drift-partitions/${definition.model}/${args.windowKey}/${partition.fromMs}-${partition.toMs}.json`;
      // Idempotent: a retry writes the same bytes under the same key.
      await partitionStore(definition).put(key, Readable.from([Buffer.from(serializeProfile(profile))]));
      return { key, rows: profile.rows };
    },

    /** Fan-out, step 3: the hours' profiles merged in time order, compared as one window. */
    async compareDriftPartitions(args: DriftWindowArgs & { championVersion: number; keys: string[] }): Promise<DriftSummary> {
      requireDrift(args.definition);
      const store = partitionStore(args.definition);
      return withReference(args.definition, args.championVersion, args.windowKey, async (context) => {
        const profiles: DriftProfile[] = [];
        for (const key of args.keys) {
          Context.current().heartbeat(`reading ${key}`);
          profiles.push(parseProfile(await text(await store.get(key)), key));
        }
        const current = profiles.length > 0
          ? mergeAllProfiles(profiles)
          : await withWindowLog(args.definition, args.fromMs, args.toMs, (dataDir) => profileFromPredictionLog(dataDir, args.definition.model, args.fromMs, args.toMs, featureSpecs(context.reference), context.reference.options));
        const summary = await compareWindow(args, context, current);
        for (const key of args.keys) await store.delete(key);
        return summary;
      }) as Promise<DriftSummary>;
    },
  };
}

interface ReferenceContext {
  champion: ModelVersion;
  reference: DriftProfile;
  dir: string;
}

/**
 * The window's partitions, in time order: its hours that hold log files (clipped to the window),
 * consecutive hours joined until they hold `minBytes` of Parquet, so a quiet day stays one
 * partition (profiling a partition costs ~0.3 s of set-up whatever its size) and a busy one
 * spreads over the workers hour by hour.
 */
async function logPartitions(hourBytes: (model: string, hour: number) => Promise<number>, model: string, fromMs: number, toMs: number, minBytes: number): Promise<Array<{ fromMs: number; toMs: number }>> {
  const partitions: Array<{ fromMs: number; toMs: number; bytes: number }> = [];
  for (const hour of windowHours(fromMs, toMs)) {
    const bytes = await hourBytes(model, hour);
    if (bytes === 0) continue;
    const span = { fromMs: Math.max(fromMs, hour), toMs: Math.min(toMs, hour + HOUR_MS), bytes };
    const last = partitions.at(-1);
    if (last && last.bytes < minBytes) Object.assign(last, { toMs: span.toMs, bytes: last.bytes + bytes });
    else partitions.push(span);
  }
  return partitions.map(({ fromMs: from, toMs: to }) => ({ fromMs: from, toMs: to }));
}

/** Bytes of the Parquet files under `directory` (0 when there is none). */
async function parquetBytes(directory: string): Promise<number> {
  const entries = await readdir(directory, { recursive: true }).catch(() => [] as string[]);
  let total = 0;
  for (const entry of entries) {
    if (!entry.endsWith('.parquet') || path.basename(entry).startsWith('.')) continue;
    total += (await stat(path.join(directory, entry)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

const HOUR_MS = 3_600_000;

/** Every file of a report folder under `prefix` (idempotent: the same keys on a retry); the HTML's URL. */
async function uploadReport(store: BlobStore, dir: string, prefix: string): Promise<string> {
  const files = await readdir(dir, { recursive: true });
  for (const file of files) {
    if ((await stat(path.join(dir, file))).isFile()) await store.put(`${prefix}/${file.split(path.sep).join('/')}`, { path: path.join(dir, file) });
  }
  return `${store.url.replace(/\/$/, '')}/${prefix}/report.html`;
}

/** About 2M logged predictions of 25 features: below this, one pass is as fast as the fan-out. */
const DEFAULT_PARTITION_BYTES = 64 * 2 ** 20;

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export type DriftActivities = ReturnType<typeof createDriftActivities>;

