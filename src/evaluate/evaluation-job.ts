/**
 * Scores the new model (and the current champion) on the same seeded hold-out and applies the
 * definition's gates. Every gate result is kept, passed or not, for the registry's audit trail.
 */
import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { MetricName, PipelineDefinition } from '../spec/schema.js';
import { loadSnapshot, type DataSnapshot } from '../data/snapshot.js';
import { loadDataset, DatasetError } from '../data/load-dataset.js';
import { getColumn, type Table } from '../data/table.js';
import { holdoutSplit } from '../data/split.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import { openScoringModel } from '../model/open-scoring-model.js';
import { readBinaryTarget } from '../train/binary-target.js';
import { allRows } from '../data/table.js';
import type { TrainedModel } from '../train/training-job.js';
import type { GateResult } from './gate-result.js';
import { classificationMetrics } from './metrics.js';
import { fairnessMetrics } from './fairness.js';
import type { SensitiveGroups } from './sensitive-groups.js';
import { evaluateGates, summariseGateFailures } from './gates.js';

export interface Evaluation {
  metrics: Record<string, number>;
  gates: GateResult[];
  /** Why the model is rejected; empty when every gate passed. */
  reasons: string[];
  championVersion?: number;
  championMetrics?: Record<string, number>;
  holdoutRows: number;
}

export interface EvaluationJob {
  definition: PipelineDefinition;
  snapshot: DataSnapshot;
  model: TrainedModel;
  registry: ModelRegistry;
  dataDir: string;
}

export async function runEvaluationJob(job: EvaluationJob): Promise<Evaluation> {
  const { definition, snapshot } = job;
  const { evaluate } = definition;
  const table = await loadSnapshot(snapshot);
  const labels = readBinaryTarget(table, definition.data.target, allRows(table.rowCount));
  const { holdout } = holdoutSplit(labels, evaluate.holdout, evaluate.seed);
  const holdoutLabels = Float64Array.from(holdout, (row) => labels[row]!);

  const scores = await scoreWith(job.model.artifactPath, job.model.sha256, table, holdout);
  const { confusion: _confusion, ...metrics } = classificationMetrics(holdoutLabels, scores, evaluate.threshold);

  const fairnessGate = evaluate.gates.fairness;
  const fairness = fairnessGate ? fairnessMetrics(holdoutLabels, scores, groupsOf(table, fairnessGate.attribute, holdout), evaluate.threshold) : undefined;

  const champion = await championOnHoldout(job, table, holdout, holdoutLabels);
  const gates = evaluateGates(evaluate.gates, { metrics, fairness, championMetrics: champion?.metrics }).map((gate) =>
    // A champion that exists but cannot be scored must not read as "no champion yet".
    champion?.error && gate.gate.startsWith('champion:') ? { ...gate, value: null, passed: false, detail: champion.error } : gate,
  );
  const fairnessNumbers: Record<string, number> = fairness
    ? {
        demographic_parity_difference: fairness.demographic_parity_difference,
        demographic_parity_ratio: fairness.demographic_parity_ratio,
        equalized_odds_difference: fairness.equalized_odds_difference,
      }
    : {};
  return {
    metrics: { ...metrics, ...fairnessNumbers },
    gates,
    reasons: summariseGateFailures(gates),
    championVersion: champion?.version,
    championMetrics: champion?.metrics,
    holdoutRows: holdout.length,
  };
}

function groupsOf(table: Table, attribute: string, rows: Uint32Array): SensitiveGroups {
  const column = getColumn(table, attribute);
  if (!column) throw new DatasetError(`sensitive attribute "${attribute}" (evaluate.gates.fairness.attribute) is not in the dataset`);
  if (column.kind === 'categorical') return { attribute, codes: Int32Array.from(rows, (r) => column.codes[r]!), names: column.dictionary };
  const distinct = [...new Set(Array.from(rows, (r) => column.values[r]!).filter((v) => !Number.isNaN(v)))].sort((a, b) => a - b);
  const index = new Map(distinct.map((v, i) => [v, i]));
  return { attribute, codes: Int32Array.from(rows, (r) => index.get(column.values[r]!) ?? -1), names: distinct.map(String) };
}

/** The champion scored on the same hold-out rows, so the comparison is like for like. */
async function championOnHoldout(job: EvaluationJob, table: Table, holdout: Uint32Array, labels: Float64Array) {
  const champion = await job.registry.getVersionByAlias(job.definition.model, 'champion');
  if (!champion) return undefined;
  try {
    const dir = path.join(job.dataDir, 'cache', 'champions', job.definition.model, String(champion.version));
    await mkdir(dir, { recursive: true });
    // Named by neither format: the bytes decide how it is read (a linear champion, an ONNX challenger).
    const downloaded = await job.registry.downloadArtifact(job.definition.model, champion.version, path.join(dir, 'model.artifact'));
    const scores = await scoreWith(downloaded.path, champion.artifactSha256, table, holdout);
    const { confusion: _c, ...metrics } = classificationMetrics(labels, scores, job.definition.evaluate.threshold);
    return { version: champion.version, metrics: metrics as Record<MetricName, number> };
  } catch (err) {
    return { version: champion.version, metrics: undefined, error: `champion v${champion.version} cannot be scored on this data: ${(err as Error).message}` };
  }
}

/** The hold-out's probabilities through the model's own format (linear JSON or ONNX). */
async function scoreWith(file: string, sha256: string, table: Table, rows: Uint32Array): Promise<Float64Array> {
  const { model } = await openScoringModel(file, sha256);
  try {
    return await model.scoreTable(table, rows);
  } finally {
    await model.close();
  }
}
