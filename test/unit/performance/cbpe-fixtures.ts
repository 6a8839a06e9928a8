/** Reads the NannyML / scikit-learn reference cases written by scripts/fixtures/make_cbpe_fixtures.py. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const FIXTURE_DIR = path.resolve(import.meta.dirname, '../../fixtures/performance');

/** null stands for NaN (JSON has none). */
type Reference = number | null;

export interface NannymlEstimate {
  value: Reference;
  samplingError: Reference;
  realised: Reference;
  upper: Reference;
  lower: Reference;
}

export interface SklearnRealised {
  count: number;
  positives: number;
  predictedPositives: number;
  recall: Reference;
  precision: Reference;
  f1: Reference;
  accuracy: Reference;
  roc_auc: Reference;
  log_loss: Reference;
  positive_rate: Reference;
}

export interface CbpeChunk {
  period: 'reference' | 'analysis';
  /** Row range within its period, inclusive. */
  start: number;
  end: number;
  estimated: Record<'roc_auc' | 'f1' | 'precision' | 'recall' | 'accuracy' | 'true_positive' | 'true_negative' | 'false_positive' | 'false_negative', NannymlEstimate>;
  nannymlRealised?: Record<'roc_auc' | 'f1' | 'precision' | 'recall' | 'accuracy', Reference>;
  sklearn?: SklearnRealised;
}

export interface CbpeFixture {
  case: string;
  versions: Record<string, string>;
  threshold: number;
  chunkSize: number;
  reference: { scores: number[]; labels: number[] };
  analysis: Array<{ scores: number[]; labels: number[] }>;
  nannyml: {
    needsCalibration: boolean;
    eceBefore: number;
    eceAfter: number;
    eceBeforeStableOrder: number;
    eceAfterStableOrder: number;
    calibrator: { xThresholds: number[]; yThresholds: number[] } | null;
    referenceRealised: SklearnRealised;
    chunks: CbpeChunk[];
  };
}

export interface CbpeInternalsFixture {
  versions: Record<string, string>;
  randomState: { seed42_permutation10: number[]; seed7_permutation1000_first20: number[]; seed42_uint32_first5: number[] };
  stratifiedSplit: { labels: number[]; testSize: number; randomState: number; folds: Array<{ train: number[]; test: number[] }> };
  isotonic: { x: number[]; y: number[]; xThresholds: number[]; yThresholds: number[]; grid: number[]; predicted: number[] };
}

export const CBPE_CASES = ['calibrated', 'miscalibrated', 'concept-shift'] as const;

export function loadCbpeFixture(name: (typeof CBPE_CASES)[number]): CbpeFixture {
  return JSON.parse(readFileSync(path.join(FIXTURE_DIR, `cbpe-${name}.json`), 'utf8')) as CbpeFixture;
}

export function loadCbpeInternals(): CbpeInternalsFixture {
  return JSON.parse(readFileSync(path.join(FIXTURE_DIR, 'cbpe-internals.json'), 'utf8')) as CbpeInternalsFixture;
}

/** The scores and labels of one chunk of the fixture (reference chunks are slices of the reference). */
export function chunkRows(fixture: CbpeFixture, chunk: CbpeChunk): { scores: number[]; labels: number[] } {
  if (chunk.period === 'reference') {
    return { scores: fixture.reference.scores.slice(chunk.start, chunk.end + 1), labels: fixture.reference.labels.slice(chunk.start, chunk.end + 1) };
  }
  const all = { scores: fixture.analysis.flatMap((c) => c.scores), labels: fixture.analysis.flatMap((c) => c.labels) };
  return { scores: all.scores.slice(chunk.start, chunk.end + 1), labels: all.labels.slice(chunk.start, chunk.end + 1) };
}

/** |actual - expected| <= tolerance * max(1, |expected|); null (NaN) must match null. */
export function closeTo(actual: number | null, expected: Reference, tolerance: number): boolean {
  if (expected === null) return actual === null || Number.isNaN(actual);
  if (actual === null) return false;
  return Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected));
}
