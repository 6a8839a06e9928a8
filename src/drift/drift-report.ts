/**
 * The drift report: what the drift engine computes and what the report page, the alerts, the
 * gauges and the registry read. JSON-serialisable; one per model and window.
 */

/** Tests as Evidently names them (plus our reference-quantile PSI). */
export type DriftTest =
  | 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon' | 'psi' | 'kl' | 'psi_reference_quantiles';

/** A column's distribution, enough to draw it and to explain the verdict. */
export interface DistributionSummary {
  /** Rows with a value after cleaning (±inf → NaN → dropped). */
  count: number;
  /** Share of rows that were null, NaN or ±inf before cleaning. */
  nullShare: number;
  mean?: number;
  std?: number;
  min?: number;
  max?: number;
  /**
   * Histogram for charts: numeric → `edges` (length shares + 1), or `categories` (the values) when
   * both sides have at most 20 distinct values; categorical → `categories`.
   */
  histogram: { edges?: number[]; categories?: string[]; shares: number[]; clip?: HistogramClip; scale?: 'log1p' };
}

/**
 * A long-tailed column's edges stop at the combined 1st / 99th percentile, so its outliers do not
 * squash every other bin into one; the rows beyond are counted here, up to the real min / max.
 * A skewed non-negative column whose body still sits in the first bins gets `scale: 'log1p'`:
 * edges equally spaced in log(1 + x), drawn on a log axis.
 */
export interface HistogramClip {
  /** Edges start here (the 1st percentile); `belowShare` of the rows lie below, down to `min`. */
  low?: { at: number; belowShare: number; min: number };
  /** Edges stop here (the 99th percentile); `aboveShare` of the rows lie above, up to `max`. */
  high?: { at: number; aboveShare: number; max: number };
}

export interface ColumnDrift {
  column: string;
  kind: 'numeric' | 'categorical';
  test: DriftTest;
  /** KS D, chi², z, normalised Wasserstein distance, JS distance, PSI or KL. */
  statistic: number | null;
  /** For the p-value tests (ks, chisquare, z); null for distances. */
  pValue: number | null;
  /** Drift when p ≤ threshold (KS), p < threshold (chi², z), or distance ≥ threshold (Evidently's rules). */
  threshold: number;
  /** null when the column could not be evaluated (see `error`). */
  drifted: boolean | null;
  error?: string;
  /**
   * True when a side had more values than its profile keeps (sampleSize), so the statistic came
   * from quantile sketches rather than every value; absent when it equals scipy's / Evidently's.
   */
  approximate?: boolean;
  /**
   * For an approximate statistic, where the exact one certainly lies: [low, high]. When the
   * interval contains the threshold the verdict is `undecided` until the column is computed from
   * every value (the drift monitor does that; the report says when it could not).
   */
  interval?: [number, number];
  undecided?: boolean;
  reference: DistributionSummary;
  current: DistributionSummary;
}

export type DriftFindingKind = 'missing-share-shift' | 'new-category' | 'column-error';

/** What Evidently does not report: null-share shifts, unseen categories, per-column errors. */
export interface DriftFinding {
  kind: DriftFindingKind;
  column: string;
  detail: string;
  severity: 'warning' | 'critical';
}

export interface DriftReport {
  model: string;
  /** The champion version whose reference profile was compared with. */
  version: number;
  window: { from: string; to: string };
  referenceRows: number;
  currentRows: number;
  generatedAt: string;
  columns: ColumnDrift[];
  /** Columns evaluated (errors excluded), drifted among them, and their share. */
  evaluated: number;
  drifted: number;
  share: number;
  /** Dataset drift when share ≥ datasetThreshold (Evidently's default 0.5). */
  datasetThreshold: number;
  datasetDrift: boolean;
  findings: DriftFinding[];
}
