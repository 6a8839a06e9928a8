/**
 * The pipeline definition: one YAML file per model. This zod schema is the single source of
 * the definition's TypeScript types and of its defaults. It is pure (no I/O) so the workflow
 * bundle can use it to check what a human typed into the Temporal UI.
 */
import { z } from 'zod';
import { Duration } from './duration.js';

const show = (value: unknown): string => (value === undefined ? 'nothing' : JSON.stringify(value));

/** A number in [min, max] whose error reads `expected a number between 0 and 1, got "high"`. */
export function numberBetween(min: number, max: number, what = 'a number') {
  const expected = `expected ${what} between ${min} and ${max}`;
  return z
    .number({ error: (issue) => `${expected}, got ${show(issue.input)}` })
    .check((ctx) => {
      if (!Number.isFinite(ctx.value) || ctx.value < min || ctx.value > max) {
        ctx.issues.push({ code: 'custom', input: ctx.value, message: `${expected}, got ${show(ctx.value)}` });
      }
    });
}

const positiveInt = (what: string) =>
  z.number({ error: (issue) => `expected ${what}, got ${show(issue.input)}` }).int({ error: `expected ${what} (a whole number)` }).positive({ error: `expected ${what} greater than 0` });

/** Lower-case names usable in workflow IDs, file paths and registry keys. */
export const ModelName = z
  .string({ error: (issue) => `expected a model name, got ${show(issue.input)}` })
  .regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, { error: (issue) => `expected lower-case letters, digits, '-', '_' or '.', starting with a letter or digit (max 63), got ${show(issue.input)}` });

// ---------------------------------------------------------------- data and its contract

export const ColumnType = z.enum(['number', 'integer', 'string', 'boolean']);

export const ColumnContract = z.strictObject({
  type: ColumnType,
  /** A missing required column is a violation; an optional one is checked only when present. */
  required: z.boolean().default(true),
  min: z.number().optional(),
  max: z.number().optional(),
  /** Allowed values (categories); anything else is a violation. */
  allowed: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1).optional(),
  /** Largest share of null (missing) values tolerated, 0..1 ("mostly" in Great Expectations). */
  maxNullShare: numberBetween(0, 1).default(0),
  unique: z.boolean().default(false),
});

export const DataContract = z.strictObject({
  minRows: z.number().int().nonnegative().default(1),
  maxRows: z.number().int().positive().optional(),
  columns: z.record(z.string(), ColumnContract).default({}),
});

export const DataSection = z.strictObject({
  /** A file path (relative to the definition file) to a CSV or Parquet file. */
  source: z.string().min(1, { error: 'expected a path to a CSV or Parquet file' }),
  format: z.enum(['csv', 'parquet']).optional(),
  /** The label column: 0/1 (or true/false) for the built-in binary classifier. */
  target: z.string().min(1),
  /** Feature columns; by default every column except the target and `exclude`. */
  features: z.array(z.string().min(1)).min(1).optional(),
  exclude: z.array(z.string()).default([]),
  contract: DataContract.optional(),
});

// ---------------------------------------------------------------- training

export const BuiltinTrain = z.strictObject({
  runtime: z.literal('builtin'),
  algorithm: z.literal('logistic_regression').default('logistic_regression'),
  params: z
    .strictObject({
      /** L2 penalty strength, as scikit-learn's 1/C applied to the summed log loss. */
      l2: z.number().nonnegative().default(1),
      maxIterations: positiveInt('a maximum iteration count').default(200),
      tolerance: z.number().positive().default(1e-6),
      /** Categories seen fewer times than this fold into an "other" bucket. */
      minCategoryCount: z.number().int().nonnegative().default(1),
    })
    .prefault({}),
  timeout: Duration.default('30m'),
});

export const CommandTrain = z.strictObject({
  runtime: z.literal('command'),
  /** argv; `{train}`, `{holdout}` and `{output}` are replaced with paths (also passed as env vars). */
  command: z.array(z.string()).min(1, { error: 'expected the command as a list, e.g. ["python", "train.py"]' }),
  workingDirectory: z.string().optional(),
  /** File format of the train and hold-out splits handed to the command. */
  dataFormat: z.enum(['csv', 'parquet']).default('csv'),
  env: z.record(z.string(), z.string()).default({}),
  timeout: Duration.default('30m'),
});

export const TrainSection = z.discriminatedUnion('runtime', [BuiltinTrain, CommandTrain], {
  error: (issue) => `expected runtime "builtin" or "command", got ${show((issue.input as { runtime?: unknown } | undefined)?.runtime)}`,
});

// ---------------------------------------------------------------- evaluation gates

export const METRIC_NAMES = ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'log_loss'] as const;
export const MetricName = z.enum(METRIC_NAMES);
/** Metrics where a larger value is better; log loss is the exception. */
export const HIGHER_IS_BETTER: Record<MetricName, boolean> = {
  accuracy: true, precision: true, recall: true, f1: true, roc_auc: true, log_loss: false,
};

const Bound01 = z.strictObject({ min: numberBetween(0, 1).optional(), max: numberBetween(0, 1).optional() });
const BoundNonNegative = z.strictObject({ min: numberBetween(0, 1e9).optional(), max: numberBetween(0, 1e9).optional() });

export const FairnessGate = z.strictObject({
  /** The sensitive attribute (a column of the dataset), e.g. `region`. */
  attribute: z.string().min(1),
  demographic_parity_difference: z.strictObject({ max: numberBetween(0, 1) }).optional(),
  demographic_parity_ratio: z.strictObject({ min: numberBetween(0, 1) }).optional(),
  equalized_odds_difference: z.strictObject({ max: numberBetween(0, 1) }).optional(),
});

export const ChampionGate = z.strictObject({
  metric: MetricName.default('roc_auc'),
  /** How much worse than the champion (absolute, on the same hold-out) the challenger may be. */
  maxRegression: numberBetween(0, 1).default(0),
});

export const Gates = z.strictObject({
  accuracy: Bound01.optional(),
  precision: Bound01.optional(),
  recall: Bound01.optional(),
  f1: Bound01.optional(),
  roc_auc: Bound01.optional(),
  log_loss: BoundNonNegative.optional(),
  fairness: FairnessGate.optional(),
  champion: ChampionGate.optional(),
});

export const EvaluateSection = z.strictObject({
  /** Share of rows held out for evaluation, split with `seed`. */
  holdout: numberBetween(0.01, 0.9, 'a share').default(0.2),
  seed: z.number().int().default(42),
  /** Score at or above which a prediction counts as positive. */
  threshold: numberBetween(0, 1).default(0.5),
  gates: Gates.default({}),
});

// ---------------------------------------------------------------- registry

export const EmbeddedRegistry = z.strictObject({
  kind: z.literal('embedded'),
  /** Registry directory (registry.db + artifacts/); default `<data dir>/registry`. */
  path: z.string().optional(),
});

const EnvVarName = (example: string) =>
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: (issue) => `expected the name of an environment variable such as ${example}, got ${show(issue.input)}` });

export const MlflowRegistry = z.strictObject({
  kind: z.literal('mlflow'),
  /** The MLflow tracking server (registry and artifact proxy too), e.g. `http://127.0.0.1:5000`. */
  trackingUri: z
    .string()
    .regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, { error: (issue) => `expected an http(s) URL of the MLflow server such as "http://127.0.0.1:5000", got ${show(issue.input)}` }),
  /** Experiment that holds the training runs; default `mlops/<model>` (one per model). */
  experiment: z.string().min(1).max(500).optional(),
  /** Name of the env var holding a bearer token (`Authorization: Bearer …`); read by the worker, never stored. */
  authTokenEnv: EnvVarName('MLFLOW_TRACKING_TOKEN').optional(),
  /** Name of the env var holding extra headers as a JSON object, e.g. `{"Authorization": "Basic …"}`. */
  headersEnv: EnvVarName('MLFLOW_HEADERS').optional(),
  /** Longest wait for one REST call. */
  timeout: Duration.default('30s'),
  /** Longest wait for one artifact upload or download. */
  artifactTimeout: Duration.default('10m'),
});

export const RegistrySection = z.discriminatedUnion('kind', [EmbeddedRegistry, MlflowRegistry], {
  error: (issue) => `expected kind "embedded" or "mlflow", got ${show((issue.input as { kind?: unknown } | undefined)?.kind)}`,
});

// ---------------------------------------------------------------- deployment and canary

const Ceiling = (what: string, max = 1) => z.strictObject({ max: numberBetween(0, max, what) });

export const CanaryStep = z.strictObject({
  /** Percent of traffic on the canary during this step. */
  weight: z.number({ error: (issue) => `expected a weight between 1 and 100, got ${show(issue.input)}` }).int({ error: 'expected a whole percent' }).min(1, { error: (issue) => `expected a weight between 1 and 100, got ${show(issue.input)}` }).max(100, { error: (issue) => `expected a weight between 1 and 100, got ${show(issue.input)}` }),
  /** Overrides `slaWindow` for this step. */
  slaWindow: Duration.optional(),
});

export const CanarySection = z
  .strictObject({
    steps: z.array(CanaryStep).min(1).default([{ weight: 5 }, { weight: 25 }, { weight: 50 }, { weight: 100 }]),
    /** How long each step holds while the analysis runs; a breach must last this long to roll back. */
    slaWindow: Duration.default('15m'),
    /** Time between two analysis checks. */
    interval: Duration.default('1m'),
    /** The look-back of each check's metrics query; defaults to `interval`. */
    metricsWindow: Duration.optional(),
    sla: z
      .strictObject({
        errorRate: Ceiling('an error rate').default({ max: 0.01 }),
        latencyP99Ms: Ceiling('a latency in ms', 600_000).default({ max: 200 }),
        /** Lowest online accuracy accepted, once enough labels arrived. */
        accuracy: z.strictObject({ min: numberBetween(0, 1) }).optional(),
        /** Fewer canary requests than this in a check make it inconclusive, never a failure. */
        minSamples: z.number().int().nonnegative().default(50),
      })
      .prefault({}),
    /** Crossing one of these in any check rolls back at once. */
    hardLimits: z
      .strictObject({
        errorRate: Ceiling('an error rate').default({ max: 0.2 }),
        latencyP99Ms: Ceiling('a latency in ms', 600_000).optional(),
      })
      .prefault({}),
    /** Checks in a row without metrics before the fail-safe rollback (Argo's consecutiveErrorLimit). */
    consecutiveErrorLimit: z.number().int().positive().default(4),
    /** Anytime-valid comparison of the canary's errors with the champion's (Beta-binomial Bayes factor). */
    errorRateTest: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Roll back when the evidence for "the canary errs more" reaches 1/alpha. */
        alpha: numberBetween(0.0001, 0.5).default(0.01),
      })
      .prefault({}),
    /** A window that ends without enough evidence: `hold` waits for a human, `extend` adds windows first. */
    onInsufficientEvidence: z.enum(['hold', 'extend']).default('hold'),
    maxExtensions: z.number().int().nonnegative().default(2),
  })
  .prefault({});

export const GatewayMetrics = z.strictObject({ kind: z.literal('gateway') });
export const PrometheusMetrics = z.strictObject({
  kind: z.literal('prometheus'),
  url: z.string().url({ error: 'expected the Prometheus base URL, e.g. http://127.0.0.1:9090' }),
});
export const MetricsSection = z.discriminatedUnion('kind', [GatewayMetrics, PrometheusMetrics], {
  error: (issue) => `expected kind "gateway" or "prometheus", got ${show((issue.input as { kind?: unknown } | undefined)?.kind)}`,
});

export const DeploySection = z.strictObject({
  target: z.enum(['local']).default('local'),
  gateway: z
    .strictObject({
      /** The traffic gateway's base URL (serving and admin API). */
      url: z.string().url().default('http://127.0.0.1:8080'),
      /** Name of the environment variable holding the admin API token (never the token itself). */
      tokenEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'expected an environment variable name such as MLOPS_GATEWAY_TOKEN' }).default('MLOPS_GATEWAY_TOKEN'),
    })
    .prefault({}),
  metrics: MetricsSection.default({ kind: 'gateway' }),
  canary: CanarySection,
  /** Fault injection for demos and drills: the deployed version answers errors and slows down. */
  faults: z
    .strictObject({
      errorRate: numberBetween(0, 1).default(0),
      addedLatencyMs: z.number().nonnegative().default(0),
      /** Faults only during this long after the version starts (a transient incident); default: always. */
      duration: Duration.optional(),
    })
    .optional(),
});

// ---------------------------------------------------------------- monitoring

/** A cron expression of 5 fields (minute hour day month weekday), as Temporal Schedules take it. */
export const Cron = z
  .string()
  .regex(/^\s*(\S+\s+){4}\S+\s*$/, { error: (issue) => `expected a cron expression of 5 fields such as "0 2 * * *", got ${show(issue.input)}` });

export const DriftMonitorSection = z.strictObject({
  /** When the drift check runs (a Temporal Schedule, overlap SKIP). */
  schedule: Cron.default('0 2 * * *'),
  /** How much of the prediction log each check compares with the champion's reference profile. */
  window: Duration.default('24h'),
  /** `auto` picks Evidently's default test per column; or force one test for every column. */
  method: z.enum(['auto', 'ks', 'chisquare', 'z', 'wasserstein', 'jensenshannon', 'psi', 'kl', 'psi_reference_quantiles']).default('auto'),
  /** Per-test threshold override (p-value for tests, distance for distances). */
  threshold: z.number().positive().optional(),
  /** Per-column overrides: `{ amount: { method: psi, threshold: 0.2 } }`. */
  columns: z.record(z.string(), z.strictObject({ method: z.enum(['ks', 'chisquare', 'z', 'wasserstein', 'jensenshannon', 'psi', 'kl', 'psi_reference_quantiles']).optional(), threshold: z.number().positive().optional() })).default({}),
  /** Dataset drift when the share of drifted columns reaches this (Evidently: 0.5). */
  datasetThreshold: numberBetween(0, 1).default(0.5),
  /** Fewer logged predictions than this in the window: no verdict, only a warning. */
  minRows: z.number().int().positive().default(100),
  onDrift: z.array(z.enum(['alert', 'retrain'])).default(['alert']),
});

export const MonitorSection = z.strictObject({
  drift: DriftMonitorSection.optional(),
  /** Periodic retraining on the definition's data source, whatever the drift. */
  retrain: z.strictObject({ schedule: Cron }).optional(),
});

// ---------------------------------------------------------------- the whole definition

export const PipelineDefinition = z.strictObject({
  model: ModelName,
  description: z.string().optional(),
  data: DataSection,
  train: TrainSection.prefault({ runtime: 'builtin' }),
  evaluate: EvaluateSection.prefault({}),
  registry: RegistrySection.default({ kind: 'embedded' }),
  /** Without it, the pipeline ends at registration; with it, the challenger goes through a canary. */
  deploy: DeploySection.optional(),
  monitor: MonitorSection.optional(),
});

export type PipelineDefinition = z.infer<typeof PipelineDefinition>;
export type PipelineDefinitionInput = z.input<typeof PipelineDefinition>;
export type DataSection = z.infer<typeof DataSection>;
export type DataContract = z.infer<typeof DataContract>;
export type ColumnContract = z.infer<typeof ColumnContract>;
export type ColumnType = z.infer<typeof ColumnType>;
export type TrainSection = z.infer<typeof TrainSection>;
export type BuiltinTrain = z.infer<typeof BuiltinTrain>;
export type CommandTrain = z.infer<typeof CommandTrain>;
export type EvaluateSection = z.infer<typeof EvaluateSection>;
export type Gates = z.infer<typeof Gates>;
export type FairnessGate = z.infer<typeof FairnessGate>;
export type ChampionGate = z.infer<typeof ChampionGate>;
export type MetricName = z.infer<typeof MetricName>;
export type RegistrySection = z.infer<typeof RegistrySection>;
export type DeploySection = z.infer<typeof DeploySection>;
export type CanarySection = z.infer<typeof CanarySection>;
export type CanaryStep = z.infer<typeof CanaryStep>;
export type MetricsSection = z.infer<typeof MetricsSection>;
export type DriftMonitorSection = z.infer<typeof DriftMonitorSection>;
export type MonitorSection = z.infer<typeof MonitorSection>;
