/**
 * Checks what callers hand the registry before anything is written, so a bad call fails with
 * an InvalidRegistryInputError that names the field, and never with a half-written version.
 */
import { z } from 'zod';
import { ModelName } from '../spec/schema.js';
import { formatPath } from '../spec/problems.js';
import { InvalidRegistryInputError, type NewModelVersion, type VersionStatus } from './model-registry.js';

export const VERSION_STATUSES: readonly VersionStatus[] = ['candidate', 'rejected', 'champion', 'archived'];

const AliasName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,62}$/, { error: (issue) => `expected an alias of lower-case letters, digits, '-' or '_' starting with a letter (max 63), got ${JSON.stringify(issue.input)}` });

const VersionNumber = z.number().int().positive();

const GateResultInput = z.object({
  gate: z.string().min(1),
  value: z.number().nullable(),
  min: z.number().optional(),
  max: z.number().optional(),
  passed: z.boolean(),
  detail: z.string(),
});

const LineageInput = z.object({
  dataVersion: z.string().min(1),
  definitionHash: z.string().min(1),
  trainer: z.string().min(1),
  codeVersion: z.string(),
  workflowId: z.string(),
  runId: z.string(),
  parentVersion: VersionNumber.optional(),
  trigger: z.string().optional(),
});

const NewModelVersionInput = z.object({
  model: ModelName,
  idempotencyKey: z.string().min(1).max(200),
  status: z.enum(['candidate', 'rejected'], {
    error: (issue) => `a new version starts as "candidate" or "rejected" (promote it with the champion alias), got ${JSON.stringify(issue.input)}`,
  }),
  artifactPath: z.string().min(1),
  // zod 4 numbers exclude NaN and Infinity, which JSON could not store anyway.
  metrics: z.record(z.string().min(1), z.number()),
  gates: z.array(GateResultInput),
  lineage: LineageInput,
  rejectionReasons: z.array(z.string()).optional(),
  aliases: z
    .array(AliasName)
    .refine((aliases) => new Set(aliases).size === aliases.length, { error: 'expected each alias once' })
    .optional(),
  description: z.string().optional(),
});

function fail(what: string, error: z.ZodError): never {
  const problems = error.issues.map((issue) => {
    const path = formatPath(issue.path);
    return path === '' ? issue.message : `${path}: ${issue.message}`;
  });
  throw new InvalidRegistryInputError(`invalid ${what}: ${problems.join('; ')}`);
}

export function parseNewModelVersion(input: NewModelVersion): NewModelVersion {
  const parsed = NewModelVersionInput.safeParse(input);
  if (!parsed.success) fail(`new model version${typeof input?.model === 'string' ? ` of "${input.model}"` : ''}`, parsed.error);
  return parsed.data;
}

export function checkModelName(model: string): void {
  const parsed = ModelName.safeParse(model);
  if (!parsed.success) fail('model name', parsed.error);
}

export function checkVersionNumber(version: number): void {
  const parsed = VersionNumber.safeParse(version);
  if (!parsed.success) throw new InvalidRegistryInputError(`invalid version: expected a whole number from 1, got ${JSON.stringify(version)}`);
}

export function checkAlias(alias: string): void {
  const parsed = AliasName.safeParse(alias);
  if (!parsed.success) fail('alias', parsed.error);
}

export function checkStatus(status: string): asserts status is VersionStatus {
  if (!(VERSION_STATUSES as readonly string[]).includes(status)) {
    throw new InvalidRegistryInputError(`invalid status: expected one of ${VERSION_STATUSES.join(', ')}, got ${JSON.stringify(status)}`);
  }
}
