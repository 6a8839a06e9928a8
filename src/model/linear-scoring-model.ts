/**
 * Our own `mlops.linear-model/v1` JSON behind the model-format port: the built-in trainer's
 * output and the first round's command trainers'. Table scoring and request scoring are the
 * existing exact paths (src/train/predict.ts, src/serving/inference-model.ts).
 */
import type { LinearModelArtifact } from '../train/artifact.js';
import { scoreRows } from '../train/predict.js';
import { compileInferenceModel } from '../serving/inference-model.js';
import type { ScoringModel } from './scoring-model.js';

export const LINEAR_PLATFORM = 'mlops-linear';

export function linearScoringModel(artifact: LinearModelArtifact): ScoringModel {
  const compiled = compileInferenceModel(artifact);
  return {
    format: 'linear',
    platform: LINEAR_PLATFORM,
    features: compiled.features,
    featureIndex: compiled.featureIndex,
    target: artifact.target,
    scoreTable: async (table, rows) => scoreRows(artifact, table, rows),
    scoreColumns: async (columns, rowCount) => compiled.scoreColumns(columns, rowCount),
    close: async () => {},
  };
}
