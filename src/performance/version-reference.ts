/**
 * What each model version brings to the performance check (window-assessment.ts VersionReference):
 * - the baseline: the hold-out metrics the registry recorded when the version was registered;
 * - the CBPE model: fitted on the version's hold-out scores and labels. The registry does not keep
 *   hold-out scores, so they are computed again exactly as the evaluation computed them
 *   (src/evaluate/evaluation-job.ts): the training snapshot of the version's data version, the
 *   seeded stratified split of `evaluate.holdout` / `evaluate.seed`, scored by the version's own
 *   registered artifact. The fitted model is plain JSON, cached under
 *   `<dataDir>/cache/performance-reference/<model>/v<version>.json` with what it was fitted from,
 *   so a changed threshold or split refits instead of reusing a stale estimator.
 * When the snapshot is gone (cleaned up, or on another host) there is no CBPE model and the
 * reason says so; realised metrics are still judged against the baseline.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadDataset } from '../data/load-dataset.js';
import { findSnapshotFile, snapshotsDirectory } from '../data/snapshot.js';
import type { BlobStore } from '../storage/blob-store.js';
import { holdoutSplit } from '../data/split.js';
import { allRows } from '../data/table.js';
import { openScoringModel } from '../model/open-scoring-model.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import type { EvaluateSection } from '../spec/schema.js';
import { readBinaryTarget } from '../train/binary-target.js';
import { fitCbpe, type CbpeModel } from './cbpe.js';
import { REALISED_METRIC_NAMES, type RealisedMetricName } from './performance-metric-names.js';
import type { VersionReference } from './window-assessment.js';

export interface LoadedVersionReference extends VersionReference {
  /** Why there is no CBPE model, when there is none. */
  cbpeUnavailable?: string;
}

export interface VersionReferenceRequest {
  registry: ModelRegistry;
  dataDir: string;
  model: string;
  version: number;
  /** The definition's target column and evaluation settings (threshold, hold-out share and seed). */
  target: string;
  evaluate: Pick<EvaluateSection, 'holdout' | 'seed' | 'threshold'>;
  estimate: boolean;
  /** The pipeline's blob store, where the training snapshot is when another host took it. */
  store?: BlobStore;
}

/** What a cached CBPE model was fitted from; any difference refits. */
interface CbpeCacheKey {
  artifactSha256: string;
  dataVersion: string;
  target: string;
  holdout: number;
  seed: number;
  threshold: number;
}

interface CbpeCacheFile {
  key: CbpeCacheKey;
  cbpe: CbpeModel;
}

export async function loadVersionReference(request: VersionReferenceRequest): Promise<LoadedVersionReference> {
  const { registry, model, version } = request;
  const registered = await registry.getVersion(model, version);
  if (!registered) return { baseline: {}, cbpe: null, cbpeUnavailable: `v${version} is not in the registry` };
  const baseline: Partial<Record<RealisedMetricName, number | null>> = {};
  for (const metric of REALISED_METRIC_NAMES) {
    const value = registered.metrics[metric];
    if (typeof value === 'number' && Number.isFinite(value)) baseline[metric] = value;
  }
  if (!request.estimate) return { baseline, cbpe: null, cbpeUnavailable: 'estimation is off (monitor.performance.estimate: false)' };

  const key: CbpeCacheKey = {
    artifactSha256: registered.artifactSha256,
    dataVersion: registered.lineage.dataVersion,
    target: request.target,
    holdout: request.evaluate.holdout,
    seed: request.evaluate.seed,
    threshold: request.evaluate.threshold,
  };
  const cacheDir = path.join(request.dataDir, 'cache', 'performance-reference', model);
  const cacheFile = path.join(cacheDir, `v${version}.json`);
  const cached = await readCache(cacheFile);
  if (cached && JSON.stringify(cached.key) === JSON.stringify(key)) return { baseline, cbpe: cached.cbpe };

  const snapshot = await findSnapshotFile(request.dataDir, key.dataVersion, request.store);
  if (snapshot === undefined) {
    return { baseline, cbpe: null, cbpeUnavailable: `the training snapshot ${key.dataVersion.slice(0, 16)} of v${version} is not in ${snapshotsDirectory(request.dataDir)}: nothing to fit CBPE on` };
  }
  const { labels, scores } = await scoreHoldout(registry, { model, version, snapshot, cacheDir, ...key });
  const cbpe = fitCbpe(labels, scores, key.threshold);
  await mkdir(cacheDir, { recursive: true });
  // Written whole then renamed: a reader never sees half a file.
  const partial = `${cacheFile}.${process.pid}.partial`;
  await writeFile(partial, JSON.stringify({ key, cbpe } satisfies CbpeCacheFile));
  await rename(partial, cacheFile);
  return { baseline, cbpe };
}

/** The hold-out of the version's training data, labels and scores, as the evaluation had them. */
async function scoreHoldout(
  registry: ModelRegistry,
  args: { model: string; version: number; artifactSha256: string; snapshot: string; cacheDir: string; target: string; holdout: number; seed: number },
): Promise<{ labels: Float64Array; scores: Float64Array }> {
  const table = await loadDataset(args.snapshot);
  const allLabels = readBinaryTarget(table, args.target, allRows(table.rowCount));
  const { holdout } = holdoutSplit(allLabels, args.holdout, args.seed);
  const artifact = await registry.downloadArtifact(args.model, args.version, path.join(args.cacheDir, `v${args.version}.artifact`));
  const { model } = await openScoringModel(artifact.path, args.artifactSha256);
  try {
    const scores = await model.scoreTable(table, holdout);
    return { labels: Float64Array.from(holdout, (row) => allLabels[row]!), scores };
  } finally {
    await model.close();
  }
}

async function readCache(file: string): Promise<CbpeCacheFile | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as CbpeCacheFile;
  } catch {
    // Missing or unreadable: fitted again and rewritten.
    return undefined;
  }
}

/** The training snapshot of a data version (`<dataDir>/snapshots/<sha256>.<ext>`), if still there. */
