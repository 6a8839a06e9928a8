/**
 * What a workflow start may make this worker read or run. The people who operate the worker
 * write it (`mlops worker --policy <file>`, or MLOPS_WORKER_POLICY); it is never read from
 * workflow input. Whoever can start a workflow only chooses among what the policy allows,
 * the line Airflow and Argo users expect between "who may trigger" and "what runs".
 */
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { formatProblems, problemsFromZod } from '../spec/problems.js';
import { PolicyViolation } from './policy-violation.js';

export const TRAIN_RUNTIMES = ['builtin', 'command', 'container'] as const;
export type TrainRuntime = (typeof TRAIN_RUNTIMES)[number];

export const WorkerPolicyFile = z.strictObject({
  definitions: z.strictObject({
    /** Directories a `pipelineFile` may be read from. Default: the worker's working directory. */
    roots: z.array(z.string().min(1)).min(1).optional(),
  }).optional(),
  data: z.strictObject({
    /** Where `data.source` may point: paths, and `s3://bucket/prefix` roots (`s3://` for any bucket). Default: the definitions' roots. */
    roots: z.array(z.string().min(1)).min(1).optional(),
  }).optional(),
  inline: z.strictObject({
    /** Whether a `pipeline` given in the workflow input (not a file) is accepted at all. */
    allowed: z.boolean().default(true),
    /** The training runtimes an inline definition may use; drill faults are never inline unless `faults: true`. */
    runtimes: z.array(z.enum(TRAIN_RUNTIMES)).default(['builtin']),
    faults: z.boolean().default(false),
  }).optional(),
  /** argv[0] values the command runtime may run (exact, or absolute paths compared after realpath). Absent: any, from definitions under the roots. */
  commands: z.array(z.string().min(1)).optional(),
  /** Image reference prefixes the container runtime may run (`registry.example.com/ml/`). Absent: any, from definitions under the roots. */
  images: z.array(z.string().min(1)).optional(),
});
export type WorkerPolicyFile = z.input<typeof WorkerPolicyFile>;

export interface WorkerPolicy {
  /** Absolute, realpath-resolved where they exist. */
  definitionRoots: string[];
  dataRoots: string[];
  inline: { allowed: boolean; runtimes: TrainRuntime[]; faults: boolean };
  commands?: string[];
  images?: string[];
  /** Where it came from, for messages: a file, or "the default policy". */
  source: string;
}

/** The default: definitions and data under `cwd`, inline definitions with the built-in trainer only. */
export function defaultWorkerPolicy(cwd = process.cwd()): WorkerPolicy {
  return resolvePolicy({}, cwd, 'the default worker policy');
}

/** Everything allowed: for tests and single-user machines where the starter is the operator. */
export function permissiveWorkerPolicy(): WorkerPolicy {
  return resolvePolicy({ definitions: { roots: ['/'] }, data: { roots: ['/', 's3://'] }, inline: { allowed: true, runtimes: [...TRAIN_RUNTIMES], faults: true } }, '/', 'a permissive worker policy');
}

/** Reads a policy file (YAML or JSON); relative roots are relative to the file's folder. */
export function loadWorkerPolicy(file: string): WorkerPolicy {
  let value: unknown;
  try {
    value = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PolicyViolation('policy', `cannot read the worker policy ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = WorkerPolicyFile.safeParse(value ?? {});
  if (!parsed.success) throw new PolicyViolation('policy', formatProblems(problemsFromZod(parsed.error), file).replace('invalid pipeline definition', 'invalid worker policy'));
  return resolvePolicy(parsed.data, path.dirname(path.resolve(file)), file);
}

/**
 * The policy a process other than the worker should check against before it starts anything
 * (`mlops run`, `mlops api`): only one configured explicitly, since the default policy is
 * relative to the worker's own directory, which such a process cannot know.
 */
export function configuredWorkerPolicy(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): WorkerPolicy | undefined {
  return env.MLOPS_WORKER_POLICY ? loadWorkerPolicy(path.resolve(cwd, env.MLOPS_WORKER_POLICY)) : undefined;
}

/** The policy a process should use: `--policy`, else MLOPS_WORKER_POLICY, else the default. */
export function workerPolicyFrom(option: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): WorkerPolicy {
  const file = option ?? env.MLOPS_WORKER_POLICY;
  return file ? loadWorkerPolicy(path.resolve(cwd, file)) : defaultWorkerPolicy(cwd);
}

/** A policy from its file form (already read); relative roots are relative to `baseDir`. */
export function resolveWorkerPolicy(input: WorkerPolicyFile, baseDir: string, source: string): WorkerPolicy {
  return resolvePolicy(WorkerPolicyFile.parse(input), baseDir, source);
}

function resolvePolicy(file: z.output<typeof WorkerPolicyFile>, baseDir: string, source: string): WorkerPolicy {
  // Object-store roots (s3://bucket/prefix) stay as written; paths become absolute and real.
  const resolve = (roots: string[]) => roots.map((root) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(root) ? root : realpathOrSelf(path.resolve(baseDir, root))));
  const definitionRoots = resolve(file.definitions?.roots ?? [baseDir]);
  return {
    definitionRoots,
    dataRoots: file.data?.roots ? resolve(file.data.roots) : definitionRoots,
    inline: { allowed: file.inline?.allowed ?? true, runtimes: file.inline?.runtimes ?? ['builtin'], faults: file.inline?.faults ?? false },
    commands: file.commands,
    images: file.images,
    source,
  };
}

export function realpathOrSelf(target: string): string {
  try {
    return realpathSync.native(target);
  } catch {
    return target;
  }
}
