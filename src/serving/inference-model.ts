/**
 * A linear model artifact compiled for serving: columnar batch scoring straight from Open
 * Inference Protocol tensors. Values are checked inside the scoring loop itself, so a request
 * costs one pass per feature and no per-row objects. Each row adds the same terms in the same
 * order as `scoreRecord` (src/train/predict.ts), so a served score is bit-identical to it.
 */
import type { LinearModelArtifact } from '../train/artifact.js';
import { encodedWidth } from '../train/preprocess.js';

import { InferenceInputError, showValue, type FeatureColumn, type FeatureDatatype } from '../model/scoring-model.js';

export { InferenceInputError, showValue, type FeatureColumn, type FeatureDatatype };

/** One feature, ready for the scoring loop. */
type CompiledFeature =
  | { name: string; datatype: 'FP64'; weight: number; mean: number; std: number }
  | { name: string; datatype: 'BYTES'; weightOfCategory: Map<string, number> };

export interface InferenceModel {
  /** Feature names and datatypes, in the artifact's order (the model metadata's inputs). */
  readonly features: ReadonlyArray<{ name: string; datatype: FeatureDatatype }>;
  readonly featureIndex: ReadonlyMap<string, number>;
  /**
   * P(target = 1) for `rowCount` rows; `columns[i]` holds feature i's values (null = missing).
   * Throws InferenceInputError naming the feature and index of the first value of a wrong type.
   */
  scoreColumns(columns: readonly FeatureColumn[], rowCount: number): Float64Array;
}

export function compileInferenceModel(artifact: LinearModelArtifact): InferenceModel {
  const width = encodedWidth(artifact.features);
  if (artifact.weights.length !== width) {
    throw new RangeError(`model "${artifact.model}" has ${artifact.weights.length} weights but its features encode to ${width} columns`);
  }
  let offset = 0;
  const compiled: CompiledFeature[] = artifact.features.map((feature) => {
    if (feature.kind === 'numeric') {
      return { name: feature.name, datatype: 'FP64', weight: artifact.weights[offset++]!, mean: feature.mean, std: feature.std };
    }
    const weightOfCategory = new Map(feature.categories.map((category, index) => [category, artifact.weights[offset + index]!]));
    offset += feature.categories.length;
    return { name: feature.name, datatype: 'BYTES', weightOfCategory };
  });
  const intercept = artifact.intercept;

  return {
    features: compiled.map(({ name, datatype }) => ({ name, datatype })),
    featureIndex: new Map(compiled.map((feature, index) => [feature.name, index])),
    scoreColumns(columns, rowCount) {
      const margins = new Float64Array(rowCount).fill(intercept);
      for (let f = 0; f < compiled.length; f++) {
        const feature = compiled[f]!;
        const values = columns[f]!;
        if (feature.datatype === 'FP64') addNumericTerms(margins, feature, values);
        else addCategoricalTerms(margins, feature, values);
      }
      for (let i = 0; i < rowCount; i++) margins[i] = sigmoid(margins[i]!);
      return margins;
    },
  };
}

function addNumericTerms(margins: Float64Array, feature: Extract<CompiledFeature, { datatype: 'FP64' }>, values: FeatureColumn): void {
  const { weight, mean, std } = feature;
  for (let i = 0; i < margins.length; i++) {
    const value = values[i];
    let v: number;
    // null (JSON) or NaN (binary tensors have no null) is missing: standardises to 0, as in scoreRecord.
    if (typeof value === 'number' && (Number.isFinite(value) || Number.isNaN(value))) v = value;
    else if (value === null) v = Number.NaN;
    else if (typeof value === 'number') throw new InferenceInputError(`input "${feature.name}": expected a finite number or null, got ${value} at index ${i}`);
    else throw new InferenceInputError(`input "${feature.name}": expected FP64 numbers or null, got ${showValue(value)} at index ${i}`);
    margins[i] = margins[i]! + weight * (v === v ? (v - mean) / std : 0);
  }
}

function addCategoricalTerms(margins: Float64Array, feature: Extract<CompiledFeature, { datatype: 'BYTES' }>, values: FeatureColumn): void {
  const { weightOfCategory } = feature;
  for (let i = 0; i < margins.length; i++) {
    const value = values[i];
    let weight: number | undefined;
    if (typeof value === 'string') weight = weightOfCategory.get(value);
    else if (value !== null) throw new InferenceInputError(`input "${feature.name}": expected BYTES strings or null, got ${showValue(value)} at index ${i}`);
    // Missing or unseen categories encode as all zeros.
    margins[i] = margins[i]! + (weight !== undefined ? weight : 0);
  }
}

/** The same numerically stable logistic function as src/train/predict.ts. */
function sigmoid(margin: number): number {
  if (margin >= 0) return 1 / (1 + Math.exp(-margin));
  const e = Math.exp(margin);
  return e / (1 + e);
}
