/**
 * Scoring with a linear model artifact: P(target = 1) for table rows (batch evaluation) or one
 * record (the model server). Both add the same terms in the same order, so a record scores
 * bit-identically to the same row in a table.
 */
import type { Table } from '../data/table.js';
import type { FeatureEncoding, LinearModelArtifact } from './artifact.js';
import { describeValue, FeatureTypeError, MissingFeatureError } from './input-errors.js';
import { categoryLookup, encodedWidth, numericValues, requireColumn } from './preprocess.js';

export type RecordValue = number | string | boolean | null;

/** Probabilities for `rows` (all rows when omitted), in that order. */
export function scoreRows(artifact: LinearModelArtifact, table: Table, rows?: Uint32Array): Float64Array {
  assertWeightsMatchFeatures(artifact);
  const selected = rows ?? Uint32Array.from({ length: table.rowCount }, (_, i) => i);
  const count = selected.length;
  const margins = new Float64Array(count).fill(artifact.intercept);
  let offset = 0;
  // Feature by feature over all rows: each pass is a tight loop over one typed array.
  for (const feature of artifact.features) {
    const column = requireColumn(table, feature.name);
    if (feature.kind === 'numeric') {
      const values = numericValues(column, feature.name);
      const weight = artifact.weights[offset]!;
      const { mean, std } = feature;
      for (let i = 0; i < count; i++) {
        const v = values[selected[i]!]!;
        margins[i] = margins[i]! + weight * (v === v ? (v - mean) / std : 0);
      }
      offset += 1;
    } else {
      const { codes, lookup } = categoryLookup(column, feature.categories, offset);
      const weightOfCode = Float64Array.from(lookup, (encoded) => (encoded >= 0 ? artifact.weights[encoded]! : 0));
      for (let i = 0; i < count; i++) {
        const code = codes[selected[i]!]!;
        margins[i] = margins[i]! + (code >= 0 ? weightOfCode[code]! : 0);
      }
      offset += feature.categories.length;
    }
  }
  for (let i = 0; i < count; i++) margins[i] = sigmoid(margins[i]!);
  return margins;
}

/** Probability for one request. A feature absent from the record is an error; `null` means missing. */
export function scoreRecord(artifact: LinearModelArtifact, record: Record<string, RecordValue>): number {
  assertWeightsMatchFeatures(artifact);
  let margin = artifact.intercept;
  let offset = 0;
  for (const feature of artifact.features) {
    if (!Object.hasOwn(record, feature.name)) throw new MissingFeatureError(feature.name, 'record', Object.keys(record));
    const value = record[feature.name] as RecordValue | undefined;
    if (feature.kind === 'numeric') {
      const v = numericValueOf(feature, value);
      margin = margin + artifact.weights[offset]! * (v === v ? (v - feature.mean) / feature.std : 0);
      offset += 1;
    } else {
      const index = value === null || value === undefined ? -1 : feature.categories.indexOf(String(value));
      margin = margin + (index >= 0 ? artifact.weights[offset + index]! : 0);
      offset += feature.categories.length;
    }
  }
  return sigmoid(margin);
}

/** NaN for missing; text is read as a number the way a text column would be (see numericValues). */
function numericValueOf(feature: FeatureEncoding, value: RecordValue | undefined): number {
  if (value === null || value === undefined) return Number.NaN;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  if (value.trim() === '') return Number.NaN;
  const parsed = Number(value);
  if (!Number.isNaN(parsed)) return parsed;
  throw new FeatureTypeError(feature.name, 'numeric', describeValue(value));
}

function assertWeightsMatchFeatures(artifact: LinearModelArtifact): void {
  const expected = encodedWidth(artifact.features);
  if (artifact.weights.length !== expected) {
    throw new RangeError(`model "${artifact.model}" has ${artifact.weights.length} weights but its features encode to ${expected} columns`);
  }
}

function sigmoid(margin: number): number {
  if (margin >= 0) return 1 / (1 + Math.exp(-margin));
  const e = Math.exp(margin);
  return e / (1 + e);
}
