/**
 * Runtime check of a model artifact read from disk — ours, or one a command trainer wrote — so
 * a bad file fails when it is read, with the field that is wrong, not later while scoring.
 */
import { z } from 'zod';
import { formatPath } from '../spec/problems.js';
import { LINEAR_MODEL_FORMAT, type LinearModelArtifact } from './artifact.js';
import { encodedWidth } from './preprocess.js';

const finite = z.number().refine(Number.isFinite, { error: 'expected a finite number' });

const FeatureEncodingSchema = z.discriminatedUnion('kind', [
  z.object({ name: z.string().min(1), kind: z.literal('numeric'), mean: finite, std: finite.refine((std) => std > 0, { error: 'expected std > 0' }) }),
  z.object({
    name: z.string().min(1),
    kind: z.literal('categorical'),
    categories: z.array(z.string()).refine((c) => new Set(c).size === c.length, { error: 'categories must be distinct' }),
  }),
]);

const LinearModelArtifactSchema =
  z.looseObject({
    format: z.literal(LINEAR_MODEL_FORMAT),
    model: z.string().min(1),
    algorithm: z.literal('logistic_regression'),
    target: z.string().min(1),
    features: z.array(FeatureEncodingSchema).min(1).refine((f) => new Set(f.map((e) => e.name)).size === f.length, { error: 'feature names must be distinct' }),
    intercept: finite,
    weights: z.array(finite),
    params: z.object({ l2: finite, maxIterations: finite, tolerance: finite, minCategoryCount: finite }),
    training: z.looseObject({
      rows: finite,
      positives: finite,
      iterations: finite,
      converged: z.boolean(),
      finalLoss: finite,
      seconds: finite,
      seed: finite,
    }),
    createdAt: z.string(),
  })
  .check((ctx) => {
    const expected = encodedWidth(ctx.value.features);
    if (ctx.value.weights.length !== expected) {
      ctx.issues.push({ code: 'custom', input: ctx.value.weights, path: ['weights'], message: `expected ${expected} weights (one per encoded column of features), got ${ctx.value.weights.length}` });
    }
  });

/** The artifact, or the list of problems (`weights: expected 12 weights ..., got 11`). */
export function checkLinearModelArtifact(value: unknown): { artifact: LinearModelArtifact } | { problems: string[] } {
  const parsed = LinearModelArtifactSchema.safeParse(value);
  if (parsed.success) return { artifact: parsed.data };
  return { problems: parsed.error.issues.map((issue) => `${formatPath(issue.path) || '(root)'}: ${issue.message}`) };
}
