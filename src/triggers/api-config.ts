/**
 * Configuration of the API server (`mlops api`): where it listens, which signatures it accepts
 * (secrets by env var NAME), and the route table from events to pipeline definitions. A YAML or
 * JSON file (`--config`), or flags for the simple case; paths are relative to the config file.
 *
 *   host: 127.0.0.1                  # loopback unless you put a proxy in front
 *   port: 8090
 *   bodyLimitBytes: 1048576          # larger bodies are answered 413
 *   signatures:
 *     standardWebhooks: { secretEnv: MLOPS_WEBHOOK_SECRET }   # webhook-id/-timestamp/-signature
 *     github: { secretEnv: MLOPS_GITHUB_WEBHOOK_SECRET }      # X-Hub-Signature-256 (optional)
 *     tolerance: 5m                  # Standard Webhooks timestamp window (±)
 *   replay: { maxIds: 100000 }       # webhook ids remembered for 2 × tolerance
 *   pipelines:
 *     - file: examples/fraud/pipeline.yaml      # its `model` answers {"model": "fraud-detector"}
 *       objects:                                 # S3 / GCS object events that mean "new data for it"
 *         - { store: s3, bucket: fraud-landing, prefix: daily/ }
 *         - { store: gcs, bucket: fraud-landing-eu }
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatPath } from '../spec/problems.js';
import { Duration, durationToMs } from '../spec/duration.js';
import { loadDefinitionFile } from '../spec/load.js';
import { checkDefinition, checkDefinitionFile } from '../policy/check-pipeline.js';
import type { WorkerPolicy } from '../policy/worker-policy.js';
import type { DatasetFormat } from '../data/dataset-format.js';
import type { StorageConfig } from '../storage/storage-config.js';

const EnvVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: (issue) => `expected the name of an environment variable, got ${JSON.stringify(issue.input)}` });

export const ObjectRoute = z.strictObject({
  /** Which event shape; both when omitted. */
  store: z.enum(['s3', 'gcs']).optional(),
  bucket: z.string().min(1),
  /** Object keys (names) that start with this; '' matches the whole bucket. */
  prefix: z.string().default(''),
});

export const PipelineRoute = z.strictObject({
  file: z.string().min(1, { error: 'expected the path of a pipeline definition' }),
  objects: z.array(ObjectRoute).default([]),
});

export const ApiConfig = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8090),
  bodyLimitBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  signatures: z
    .strictObject({
      standardWebhooks: z.strictObject({ secretEnv: EnvVarName.default('MLOPS_WEBHOOK_SECRET') }).optional(),
      github: z.strictObject({ secretEnv: EnvVarName.default('MLOPS_GITHUB_WEBHOOK_SECRET') }).optional(),
      tolerance: Duration.default('5m'),
    })
    .prefault({ standardWebhooks: {} }),
  replay: z.strictObject({ maxIds: z.number().int().min(100).default(100_000) }).prefault({}),
  pipelines: z.array(PipelineRoute).min(1, { error: 'expected at least one pipeline (pipelines: [{ file: pipeline.yaml }])' }),
});

export type ApiConfig = z.infer<typeof ApiConfig>;
export type ApiConfigInput = z.input<typeof ApiConfig>;
export type ObjectRoute = z.infer<typeof ObjectRoute>;

/** A pipeline the server can start, with what its definition says. */
export interface ServedPipeline {
  /** Absolute path, as given to the worker in `pipelineFile`. */
  file: string;
  model: string;
  /** `data.source` (an absolute path, or s3://): versioned by its bytes when an event names no version. */
  dataSource: string;
  dataFormat?: DatasetFormat;
  /** The definition's `storage`: its S3 settings reach objects in its bucket. */
  storage?: StorageConfig;
  objects: ObjectRoute[];
}

/** Everything the server needs, with secrets already read from the environment. */
export interface ApiServerSettings {
  host: string;
  port: number;
  bodyLimitBytes: number;
  toleranceSeconds: number;
  maxReplayIds: number;
  secrets: { standardWebhooks?: string; github?: string };
  pipelines: ServedPipeline[];
}

export class ApiConfigError extends Error {
  override readonly name = 'ApiConfigError';
}

export async function readApiConfigFile(file: string): Promise<ApiConfigInput & { baseDir: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ApiConfigError(`cannot read the API config ${file}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw new ApiConfigError(`${file}: not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  return { ...(value as ApiConfigInput), baseDir: path.dirname(path.resolve(file)) };
}

/**
 * Validates the config, loads every pipeline definition (to learn its model) and reads the
 * signature secrets. Refuses a config where no signature can be checked, or a secret is unset.
 */
export async function resolveApiConfig(input: unknown, options: { baseDir?: string; env?: NodeJS.ProcessEnv; source?: string; policy?: WorkerPolicy } = {}): Promise<ApiServerSettings> {
  const source = options.source ?? 'API config';
  const parsed = ApiConfig.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  - ${formatPath(issue.path) || '(root)'}: ${issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message}`);
    throw new ApiConfigError(`${source}: invalid (${problems.length} problem${problems.length === 1 ? '' : 's'})\n${problems.join('\n')}`);
  }
  const config = parsed.data;
  const env = options.env ?? process.env;
  const secret = (scheme: 'standardWebhooks' | 'github') => {
    const name = config.signatures[scheme]?.secretEnv;
    if (name === undefined) return undefined;
    const value = env[name];
    if (!value) throw new ApiConfigError(`${source}: environment variable ${name} (signatures.${scheme}.secretEnv) is not set; refusing to accept unsigned webhooks`);
    return value;
  };
  const secrets = { standardWebhooks: secret('standardWebhooks'), github: secret('github') };
  if (!secrets.standardWebhooks && !secrets.github) throw new ApiConfigError(`${source}: configure signatures.standardWebhooks or signatures.github; refusing to accept unsigned webhooks`);

  const baseDir = options.baseDir ?? process.cwd();
  const pipelines: ServedPipeline[] = [];
  for (const [index, route] of config.pipelines.entries()) {
    const file = path.resolve(baseDir, route.file);
    // The worker will refuse what its policy does not allow: say so at start, not at the first delivery.
    if (options.policy) checkDefinitionFile(options.policy, file);
    const { definition } = await loadDefinitionFile(file);
    if (options.policy) checkDefinition(options.policy, definition, { kind: 'file', file });
    const clash = pipelines.find((p) => p.model === definition.model);
    if (clash) throw new ApiConfigError(`${source}: pipelines[${index}].file: model ${definition.model} is already served by ${clash.file}`);
    const gcsRoute = route.objects.findIndex((object) => object.store === 'gcs');
    if (gcsRoute >= 0 && !readsGcs(definition.storage)) {
      throw new ApiConfigError(
        `${source}: pipelines[${index}].objects[${gcsRoute}]: a GCS event trains on the object it names, read through GCS's S3-compatible XML API; ` +
          `${route.file} needs storage.endpoint (https://storage.googleapis.com, with an HMAC key in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)`,
      );
    }
    pipelines.push({ file, model: definition.model, dataSource: definition.data.source, dataFormat: definition.data.format, storage: definition.storage, objects: route.objects });
  }
  const toleranceSeconds = Math.round(durationToMs(config.signatures.tolerance) / 1000);
  return { host: config.host, port: config.port, bodyLimitBytes: config.bodyLimitBytes, toleranceSeconds, maxReplayIds: config.replay.maxIds, secrets, pipelines };
}

/** GCS objects are read with the pipeline's S3 settings when they name an endpoint (GCS's XML API). */
export function readsGcs(storage: StorageConfig | undefined): boolean {
  return storage?.endpoint !== undefined;
}
