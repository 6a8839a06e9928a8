/**
 * The built-in model artifact: one self-describing JSON file that holds everything needed to
 * score a row (feature schema, preprocessing, weights) plus how it was trained.
 */
export const LINEAR_MODEL_FORMAT = 'mlops.linear-model/v1';

export type FeatureEncoding =
  /** Standardised: (x - mean) / std; a missing value is replaced by `mean` first. */
  | { name: string; kind: 'numeric'; mean: number; std: number }
  /** One-hot over `categories`; a missing or unseen value encodes as all zeros. */
  | { name: string; kind: 'categorical'; categories: string[] };

export interface LinearModelArtifact {
  format: typeof LINEAR_MODEL_FORMAT;
  model: string;
  algorithm: 'logistic_regression';
  target: string;
  features: FeatureEncoding[];
  intercept: number;
  /** One weight per encoded column, in the order of `features` (each categorical expands). */
  weights: number[];
  params: { l2: number; maxIterations: number; tolerance: number; minCategoryCount: number };
  training: {
    rows: number;
    positives: number;
    iterations: number;
    converged: boolean;
    /** The minimised objective at the end: Σ log-loss + (l2 / 2)·‖w‖² over the training rows (divide by `rows` for a per-row value). */
    finalLoss: number;
    seconds: number;
    seed: number;
  };
  createdAt: string;
}
