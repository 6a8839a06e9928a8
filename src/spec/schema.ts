/**
 * The pipeline definition: one YAML file per model. This zod schema is the single source of
 * the definition's TypeScript types and of its defaults. It is pure (no I/O) so the workflow
 * bundle can use it to check what a human typed into the Temporal UI.
 */
import { z } from 'zod';
import { Duration, durationMsIfValid, durationToMs } from './duration.js';
import { quoteValue } from './problems.js';
import { KPI_NAME_PATTERN } from '../serving/gateway-contract.js';
import { DATA_SOURCE_EXPECTED, parseDataSource } from '../data/data-source-url.js';
import { StorageConfig } from '../storage/storage-config.js';
import { PerformanceMonitorSection } from '../performance/performance-config.js';

// Quoted values are cut short: a message must never carry a whole value (or a file's contents).
const show = quoteValue;

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

const EnvVarName = (example: string) =>
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: (issue) => `expected the name of an environment variable such as ${example}, got ${show(issue.input)}` });

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
  /**
   * A CSV or Parquet file (a path relative to the definition file), one S3 object
   * (`s3://bucket/key`), or every Parquet/CSV part under an S3 prefix (`s3://bucket/prefix/`,
   * concatenated in key order). S3 settings come from `storage` when its bucket is the same.
   */
  source: z
    .string({ error: (issue) => `expected ${DATA_SOURCE_EXPECTED}, got ${show(issue.input)}` })
    .min(1, { error: `expected ${DATA_SOURCE_EXPECTED}` })
    .check((ctx) => {
      const parsed = parseDataSource(ctx.value);
      if (typeof parsed === 'string') ctx.issues.push({ code: 'custom', input: ctx.value, message: parsed });
    }),
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

/** A byte size as Docker writes it: `512m`, `2g`, `1.5g`, `1048576` (bytes). */
export const ByteSize = z
  .string({ error: (issue) => `expected a size such as "512m" or "2g", got ${show(issue.input)}` })
  .regex(/^\d+(\.\d+)?[bkmg]?$/i, { error: (issue) => `expected a size such as "512m" or "2g" (b, k, m, g), got ${show(issue.input)}` });

/** An image registry and the *names* of the env vars with its credentials (read by the worker, never stored). */
export const ImageRegistry = z.strictObject({
  /** `host[:port]`, optionally with `http://` or `https://`; loopback registries speak plain HTTP, as Docker assumes. */
  url: z
    .string()
    .regex(/^(https?:\/\/)?[A-Za-z0-9.-]+(:\d{1,5})?$/, { error: (issue) => `expected a registry host[:port] such as "127.0.0.1:5001" or "ghcr.io", got ${show(issue.input)}` })
    .default('127.0.0.1:5001'),
  usernameEnv: EnvVarName('MLOPS_REGISTRY_USERNAME').default('MLOPS_REGISTRY_USERNAME'),
  passwordEnv: EnvVarName('MLOPS_REGISTRY_PASSWORD').default('MLOPS_REGISTRY_PASSWORD'),
});

export const ContainerTrain = z.strictObject({
  runtime: z.literal('container'),
  /** The trainer image; pulled (with `registryAuth`) only when the engine does not have it. */
  image: z.string().min(1, { error: 'expected an image reference such as "mlops-example-sklearn:2"' }),
  /** Replaces the image's entrypoint and command; `{train}`, `{holdout}` and `{output}` become paths inside the container. */
  command: z.array(z.string()).min(1).optional(),
  /** File format of the train and hold-out splits mounted (read-only) into the container. */
  dataFormat: z.enum(['csv', 'parquet']).default('csv'),
  env: z.record(z.string(), z.string()).default({}),
  /** CPU limit in cores (fractions allowed) and memory limit (no swap). */
  cpus: z.number().positive().max(1024).default(1),
  memory: ByteSize.default('2g'),
  /** `none` (default) keeps the trainer off the network; `host` shares the worker's. */
  network: z.enum(['none', 'host']).default('none'),
  /** Credentials for pulling `image` (only the env var names). */
  registryAuth: ImageRegistry.pick({ usernameEnv: true, passwordEnv: true }).optional(),
  timeout: Duration.default('30m'),
});

export const TrainSection = z.discriminatedUnion('runtime', [BuiltinTrain, CommandTrain, ContainerTrain], {
  error: (issue) => `expected runtime "builtin", "command" or "container", got ${show((issue.input as { runtime?: unknown } | undefined)?.runtime)}`,
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

/** A business KPI's name, as feedback carries it (src/serving/gateway-contract.ts). */
const KPI_NAME_EXPECTED = (input: unknown) => `expected a KPI name (lower-case letters, digits and _, at most 40, starting with a letter), got ${show(input)}`;
const KpiName = z.string().regex(KPI_NAME_PATTERN, { error: (issue) => KPI_NAME_EXPECTED(issue.input) });

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
        /**
         * Business KPIs fed back per request (`kpis` in the feedback body), each bounded relative to
         * the champion: roll back once the anytime-valid confidence sequence for the ratio of the
         * means lies wholly below 1 − maxRelativeDrop (clicks, revenue: higher is better) or wholly
         * above 1 + maxRelativeRise (refunds, complaints: lower is better); src/canary/kpi-comparison.ts.
         * Relative bounds need the champion's mean positive; with a mean ≤ 0 they never roll back.
         */
        kpis: z
          .record(
            KpiName,
            z
              .strictObject({
                maxRelativeDrop: numberBetween(0, 1).optional(),
                maxRelativeRise: numberBetween(0, 100).optional(),
                /** The sequence's level: wrongly blaming a canary as good as the champion has probability ≤ alpha. */
                alpha: numberBetween(0.0001, 0.5).default(0.05),
              })
              .check((ctx) => {
                if ((ctx.value.maxRelativeDrop === undefined) === (ctx.value.maxRelativeRise === undefined)) {
                  ctx.issues.push({
                    code: 'custom', input: ctx.value,
                    message: 'expected exactly one of maxRelativeDrop (higher is better, e.g. 0.05 for clicks) or maxRelativeRise (lower is better, e.g. 0.1 for refunds)',
                  });
                }
              }),
            { error: (issue) => (issue.code === 'invalid_key' ? KPI_NAME_EXPECTED(issue.input) : undefined) },
          )
          .optional(),
      })
      .prefault({}),
    /** Crossing one of these in any check rolls back at once. */
    hardLimits: z
      .strictObject({
        errorRate: Ceiling('an error rate').default({ max: 0.2 }),
        latencyP99Ms: Ceiling('a latency in ms', 600_000).optional(),
        /** A hard limit applies from this many canary requests in a check (or minSamples, if lower). */
        minRequests: z.number().int().positive().default(10),
      })
      .prefault({}),
    /** Checks in a row without metrics before the fail-safe rollback (Argo's consecutiveErrorLimit). */
    consecutiveErrorLimit: z.number().int().positive().default(4),
    /** Argo's failureLimit: more failing checks than this in a step roll back at once (off when unset). */
    failureLimit: z.number().int().nonnegative().optional(),
    /** At the end of a window, more than this share of its checks with evidence failing rolls back. */
    maxFailureShare: numberBetween(0, 1).default(0.5),
    /** Fewer checks with evidence (pass or fail) than this in a window: not enough to judge (hold or extend). */
    minChecksWithEvidence: z.number().int().positive().default(2),
    /** Anytime-valid comparison of the canary's errors with the champion's (Beta-binomial Bayes factor). */
    errorRateTest: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Roll back when the evidence for "the canary errs more" reaches 1/alpha. */
        alpha: numberBetween(0.0001, 0.5).default(0.01),
      })
      .prefault({}),
    /**
     * Anytime-valid comparison of the canary's latency with the champion's: the share of each
     * version's requests slower than the champion's p99 (gateway metrics only).
     */
    latencyTest: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Roll back when the evidence for "the canary is slower" reaches 1/alpha. */
        alpha: numberBetween(0.0001, 0.5).default(0.01),
      })
      .prefault({}),
    /** A window that ends without enough evidence: `hold` waits for a human, `extend` adds windows first. */
    onInsufficientEvidence: z.enum(['hold', 'extend']).default('hold'),
    maxExtensions: z.number().int().nonnegative().default(2),
  })
  .superRefine((canary, ctx) => {
    // Each check must count only requests no earlier check counted: overlapping look-backs sum
    // every request several times and turn identical traffic from "advance" into "rollback".
    // Either may have failed its own check already (zod still runs this): compare only real durations.
    const window = durationMsIfValid(canary.metricsWindow);
    const interval = durationMsIfValid(canary.interval);
    if (window !== undefined && interval !== undefined && window > interval) {
      ctx.addIssue({ code: 'custom', path: ['metricsWindow'], message: `expected at most interval (${canary.interval}), got ${canary.metricsWindow}: longer look-backs count requests twice` });
    }
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

/** A DNS-1035 label: what Kubernetes accepts as a Service, Deployment or subset name. */
const KubernetesName = z
  .string()
  .regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, { error: (issue) => `expected a Kubernetes name (lower-case letters, digits and '-', starting with a letter, max 63), got ${show(issue.input)}` });

/** Where the Kubernetes targets (kubernetes-deployment, istio, kserve) write, and what they write. */
export const KubernetesSection = z.strictObject({
  namespace: KubernetesName.default('default'),
  /** A kubeconfig file; default: KUBECONFIG, ~/.kube/config, then the pod's service account (in-cluster). */
  kubeconfig: z.string().min(1).optional(),
  /** A context of that kubeconfig; default: its current-context. */
  context: z.string().min(1).optional(),
  /** Base name of the objects (`<name>`, `<name>-v<N>`); default: the model name made DNS-safe. */
  name: KubernetesName.max(50, { error: 'expected at most 50 characters (the version suffix needs the rest)' }).optional(),
  /**
   * `cluster`: each version runs as pods the cluster reconciles. `local`: versions run as local
   * model-server processes behind the gateway, which carries the traffic, while the adapter writes the
   * same Kubernetes objects (a bare API server has no kubelet; demos and tests).
   */
  serving: z.enum(['cluster', 'local']).default('cluster'),
  /** Container image of a version (cluster serving); `{model}` and `{version}` are filled in. */
  image: z.string().min(1).optional(),
  /** Port the model server listens on in the pod. */
  port: z.number().int().min(1).max(65535).default(8080),
  /** kubernetes-deployment only: pods shared by all versions. Traffic moves in steps of 100/replicas percent (5% needs 20). */
  replicas: positiveInt('a replica count').max(1000).default(20),
  /** How long a version's pods may take to become available; `0s` skips the wait (nothing reconciles in a bare API server). */
  readyTimeout: Duration.default('2m'),
  /** 409 conflicts retried with a fresh read before the call fails (the activity then retries). */
  conflictRetries: z.number().int().min(0).max(20).default(5),
  istio: z
    .strictObject({
      /** Hosts the VirtualService routes; default: the Service `<name>`. */
      hosts: z.array(z.string().min(1)).min(1).optional(),
      /** Istio Gateways the VirtualService binds to; default: the mesh (sidecars). */
      gateways: z.array(z.string().min(1)).optional(),
      /** A request carrying this header with a version number (`3`) goes to that version, whatever the weights. */
      pinHeader: z.string().regex(/^[a-z0-9-]+$/, { error: 'expected a lower-case HTTP header name' }).default('x-model-version'),
    })
    .prefault({}),
  kserve: z
    .strictObject({
      /** Where KServe loads a version's model from; `{model}` and `{version}` are filled in. */
      storageUri: z.string().min(1).optional(),
      modelFormat: z.string().min(1).default('sklearn'),
      /** A ServingRuntime name; default: KServe picks one for the model format. */
      runtime: z.string().min(1).optional(),
    })
    .prefault({}),
});

/** The container target: each version runs as a container from the serving image the pipeline built and pushed. */
export const ContainerDeploy = z.strictObject({
  /** Where the serving images are pushed to and the containers pulled from. */
  registry: ImageRegistry.prefault({}),
  /** Images are named `<registry>/<repository>/<model>:v<version>-<artifact sha256, 16 hex>`. */
  repository: z
    .string()
    .regex(/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/, { error: (issue) => `expected an image repository path such as "mlops" or "team/models", got ${show(issue.input)}` })
    .default('mlops'),
  /** A local image with Node 20 under the serving image; scripts/base-images builds the default offline. */
  baseImage: z.string().min(1).default('mlops-node-base:20-bookworm-2'),
  /** The build-and-push activity's start-to-close and heartbeat timeouts (progress is heartbeated). */
  buildTimeout: Duration.default('15m'),
  buildHeartbeatTimeout: Duration.default('30s'),
  /** Limits of each version's container. */
  cpus: z.number().positive().max(1024).default(1),
  memory: ByteSize.default('512m'),
  /** How long a new container may take to answer ready before the deploy fails. */
  readyTimeout: Duration.default('60s'),
});

export const DeploySection = z.strictObject({
  target: z.enum(['local', 'container', 'kubernetes-deployment', 'istio', 'kserve']).default('local'),
  /** Settings of the `container` target (all have defaults); ignored by the others. */
  container: ContainerDeploy.optional(),
  /** Required by the Kubernetes targets; ignored by `local`. */
  kubernetes: KubernetesSection.optional(),
  gateway: z
    .strictObject({
      /** The traffic gateway's base URL (serving and admin API). */
      url: z.string().url().default('http://127.0.0.1:8080'),
      /**
       * Several gateway replicas (behind one load balancer): every route and weight change goes to
       * each and counts only when each stored it; their stats are added up. Replaces `url` when set.
       */
      urls: z
        .array(z.string().url({ error: (issue) => `expected the base URL of a gateway replica such as http://10.0.0.5:8080, got ${show(issue.input)}` }))
        .min(1, { error: 'expected at least one gateway replica URL' })
        .refine((urls) => new Set(urls).size === urls.length, { error: 'expected each gateway replica once' })
        .optional(),
      /** Name of the environment variable holding the admin API token (never the token itself). */
      tokenEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'expected an environment variable name such as MLOPS_GATEWAY_TOKEN' }).default('MLOPS_GATEWAY_TOKEN'),
    })
    .prefault({}),
  metrics: MetricsSection.default({ kind: 'gateway' }),
  canary: CanarySection,
  /**
   * Human sign-off as Temporal Updates (`mlops canary approve|reject`): before any live traffic
   * moves, and/or after the last step before promotion (monitoring and hard limits stay on).
   */
  approval: z
    .strictObject({
      beforeCanary: z.boolean().default(false),
      beforePromotion: z.boolean().default(false),
      /** How long a gate waits for a person. */
      timeout: Duration.default('24h'),
      /** At the timeout: roll back (`reject`) or carry on as if approved (`proceed`). */
      onTimeout: z.enum(['reject', 'proceed']).default('reject'),
    })
    .optional(),
  /**
   * Shadow traffic before the canary: the gateway mirrors `percent` of the requests to the new
   * version off the response path (clients only ever get the champion's answer), both answers
   * are logged, and the new version must pass the gates on the same requests before any live
   * traffic moves. Needs the traffic gateway (targets local and container).
   */
  shadow: z
    .strictObject({
      percent: z.number().int().min(1).max(100).default(100),
      duration: Duration.default('15m'),
      gates: z
        .strictObject({
          /** Share of requests where both versions take the same decision at the threshold. */
          minAgreement: numberBetween(0, 1).default(0.95),
          /** Kolmogorov-Smirnov distance between the two versions' scores on the same requests. */
          maxScoreDrift: numberBetween(0, 1).default(0.2),
          /** Share of mirrored requests the new version failed (5xx, no answer). */
          maxErrorRate: numberBetween(0, 1).default(0.01),
          /** The new version's p99 latency on the mirrored requests, ms. */
          maxP99: z.number().positive().default(200),
          /** Paired requests needed before the gates can pass. */
          minSamples: z.number().int().min(1).default(100),
        })
        .prefault({}),
    })
    .optional(),
  /**
   * An A/B experiment instead of the canary steps: a fixed split (sticky per `x-routing-key`) for
   * `duration`, checked every canary interval for hard limits only; at the end a report of each
   * KPI's difference with its anytime-valid confidence sequence, and a person decides (`mlops
   * canary approve|reject`). Never promoted automatically.
   */
  experiment: z
    .strictObject({
      percent: z.number().int().min(1).max(99).default(50),
      duration: Duration.default('1h'),
      /**
       * KPI reports are counted when the feedback arrives: for this long after the split starts,
       * feedback of requests the champion served before it still arrives, and would tilt the
       * comparison (a sample ratio mismatch). Set it to the KPI's feedback delay; default one
       * canary interval.
       */
      warmup: Duration.optional(),
      kpis: z.array(KpiName).min(1, { error: 'expected at least one KPI to compare' }),
      alpha: numberBetween(0.0001, 0.5).default(0.05),
      /** How long the decision waits for a person after the report. */
      decisionTimeout: Duration.default('24h'),
      /** At the timeout: roll back (`reject`, default) or promote (`proceed`). */
      onTimeout: z.enum(['reject', 'proceed']).default('reject'),
    })
    .optional(),
  /**
   * One rollout per model at a time. A run that reaches its canary while another run of the same
   * model is between registration and its canary's outcome: `queue` waits its turn (default),
   * `skip` ends registered but not deployed, `supersede` rolls the running canary back and goes next.
   */
  concurrency: z.enum(['queue', 'skip', 'supersede'], { error: (issue) => `expected queue, skip or supersede, got ${show(issue.input)}` }).default('queue'),
  /** Fault injection for demos and drills: the deployed version answers errors and slows down. */
  faults: z
    .strictObject({
      errorRate: numberBetween(0, 1).default(0),
      addedLatencyMs: z.number().nonnegative().default(0),
      /** Faults only during this long after the version starts (a transient incident); default: always. */
      duration: Duration.optional(),
      /** A flapping version: faults on for `on`, off for `off`, repeating from the version's start. */
      flap: z.strictObject({ on: Duration, off: Duration }).optional(),
    })
    .optional(),
}).superRefine((deploy, ctx) => {
  if (deploy.shadow && deploy.target !== 'local' && deploy.target !== 'container') {
    ctx.addIssue({ code: 'custom', path: ['shadow'], message: `shadow traffic is mirrored by the traffic gateway: it needs target local or container, not "${deploy.target}"` });
  }
  for (const [path, used] of [[['experiment'], deploy.experiment !== undefined], [['canary', 'sla', 'kpis'], deploy.canary.sla.kpis !== undefined]] as const) {
    if (used && deploy.target !== 'local' && deploy.target !== 'container') {
      ctx.addIssue({ code: 'custom', path: [...path], message: `business KPIs are fed back through the traffic gateway's feedback API: they need target local or container, not "${deploy.target}"` });
    }
  }
  // What each Kubernetes target cannot do without; checked here so a bad definition fails at load time.
  if (deploy.target === 'local' || deploy.target === 'container') return;
  const kubernetes = deploy.kubernetes;
  if (!kubernetes) {
    ctx.addIssue({ code: 'custom', path: ['kubernetes'], message: `target "${deploy.target}" needs a kubernetes section (namespace, kubeconfig, ...)` });
    return;
  }
  const clusterServing = kubernetes.serving === 'cluster';
  if (clusterServing && deploy.target !== 'kserve' && !kubernetes.image) {
    ctx.addIssue({ code: 'custom', path: ['kubernetes', 'image'], message: `target "${deploy.target}" with cluster serving needs the image each version runs, e.g. "registry.example.com/{model}:v{version}"` });
  }
  if (deploy.target === 'kserve' && !kubernetes.kserve.storageUri && !kubernetes.image) {
    ctx.addIssue({ code: 'custom', path: ['kubernetes', 'kserve', 'storageUri'], message: 'target "kserve" needs kserve.storageUri (e.g. "s3://models/{model}/v{version}") or an image' });
  }
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
  /** Per kind of column, between the global setting and the per-column one. */
  kinds: z
    .strictObject({
      numeric: z.strictObject({ method: z.enum(['ks', 'chisquare', 'z', 'wasserstein', 'jensenshannon', 'psi', 'kl', 'psi_reference_quantiles']).optional(), threshold: z.number().positive().optional() }).optional(),
      categorical: z.strictObject({ method: z.enum(['ks', 'chisquare', 'z', 'wasserstein', 'jensenshannon', 'psi', 'kl', 'psi_reference_quantiles']).optional(), threshold: z.number().positive().optional() }).optional(),
    })
    .optional(),
  /** Dataset drift when the share of drifted columns reaches this (Evidently: 0.5). */
  datasetThreshold: numberBetween(0, 1).default(0.5),
  /** A change of a column's missing-value share by this much (absolute) is a finding; critical from the second. */
  missingShareShift: z.strictObject({ warning: numberBetween(0, 1), critical: numberBetween(0, 1) }).default({ warning: 0.05, critical: 0.2 }),
  /** Share of current rows in never-seen categories from which that finding is critical. */
  newCategoryCriticalShare: numberBetween(0, 1).default(0.01),
  /** Fewer logged predictions than this in the window: no verdict, only a warning. */
  minRows: z.number().int().positive().default(100),
  onDrift: z.array(z.enum(['alert', 'retrain'])).default(['alert']),
});

export const MonitorSection = z.strictObject({
  drift: DriftMonitorSection.optional(),
  /** Periodic retraining on the definition's data source, whatever the drift. */
  retrain: z.strictObject({ schedule: Cron }).optional(),
  /** Realised (delayed labels) and estimated (CBPE) performance, production fairness and concept drift per window. */
  performance: PerformanceMonitorSection.optional(),
});

// ---------------------------------------------------------------- alerts

/** Secrets are named by environment variable (EnvVarName): the worker reads them at send time, so they never enter history. */
export const AlertsSection = z.strictObject({
  /** PagerDuty Events API v2; `url` overrides the events host (else MLOPS_PAGERDUTY_EVENTS_URL, else https://events.pagerduty.com). */
  pagerduty: z
    .strictObject({
      routingKeyEnv: EnvVarName('PD_ROUTING_KEY').default('PD_ROUTING_KEY'),
      url: z.url({ protocol: /^https?$/, error: (issue) => `expected an http(s) URL such as https://events.pagerduty.com, got ${show(issue.input)}` }).optional(),
    })
    .optional(),
  /** Slack incoming webhook; its URL is the secret, so only the variable's name is here. */
  slack: z.strictObject({ webhookUrlEnv: EnvVarName('SLACK_WEBHOOK_URL').default('SLACK_WEBHOOK_URL') }).optional(),
  /** Any HTTP endpoint: a JSON POST, signed with Standard Webhooks headers when `secretEnv` is set. */
  webhook: z
    .strictObject({
      urlEnv: EnvVarName('MLOPS_ALERT_WEBHOOK_URL').default('MLOPS_ALERT_WEBHOOK_URL'),
      secretEnv: EnvVarName('MLOPS_ALERT_WEBHOOK_SECRET').optional(),
    })
    .optional(),
  /** Each sink's delivery: network errors, 5xx and 429 are retried with exponential backoff and jitter. */
  retry: z
    .strictObject({
      maxAttempts: z.number().int().min(1, { error: 'expected at least 1 attempt' }).max(20, { error: 'expected at most 20 attempts' }).default(4),
      initialDelay: Duration.default('500ms'),
      /** Longest wait between attempts, and longest Retry-After honoured (a longer one ends the attempts). */
      maxDelay: Duration.default('10s'),
      /** Per request. */
      timeout: Duration.default('5s'),
    })
    .prefault({}),
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
  /** Where alerts go besides <data dir>/alerts.jsonl; without it they are only recorded there. */
  alerts: AlertsSection.optional(),
  /** Where shared bytes live (file:///… or s3://bucket/prefix); its S3 settings also reach an s3:// data.source in the same bucket. */
  storage: StorageConfig.optional(),
}).superRefine((definition, ctx) => {
  // The embedded registry is one SQLite file on one host: workers on other hosts would register
  // versions into registries nobody else reads, while the bytes they name are shared in S3.
  if (definition.registry?.kind === 'embedded' && definition.storage?.url?.startsWith('s3://')) {
    ctx.addIssue({
      code: 'custom',
      path: ['registry', 'kind'],
      message: `the embedded registry is a SQLite file on one host and cannot be shared by workers that share storage ${show(definition.storage.url)}: use registry: { kind: mlflow, trackingUri: http://<mlflow-server>:5000 }, or file:// storage on one host`,
    });
  }
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
export type ContainerTrain = z.infer<typeof ContainerTrain>;
export type ImageRegistry = z.infer<typeof ImageRegistry>;
export type EvaluateSection = z.infer<typeof EvaluateSection>;
export type Gates = z.infer<typeof Gates>;
export type FairnessGate = z.infer<typeof FairnessGate>;
export type ChampionGate = z.infer<typeof ChampionGate>;
export type MetricName = z.infer<typeof MetricName>;
export type RegistrySection = z.infer<typeof RegistrySection>;
export type DeploySection = z.infer<typeof DeploySection>;
export type ContainerDeploy = z.infer<typeof ContainerDeploy>;

/** The container target's settings, defaults filled in when the definition has no `deploy.container`. */
export function containerDeploySettings(deploy: DeploySection): ContainerDeploy {
  return deploy.container ?? ContainerDeploy.parse({});
}
export type CanarySection = z.infer<typeof CanarySection>;
export type CanaryStep = z.infer<typeof CanaryStep>;
export type MetricsSection = z.infer<typeof MetricsSection>;
export type AlertsSection = z.infer<typeof AlertsSection>;
export type DriftMonitorSection = z.infer<typeof DriftMonitorSection>;
export type MonitorSection = z.infer<typeof MonitorSection>;
