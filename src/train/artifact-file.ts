/**
 * The artifact on disk: `model.json`, written atomically with sorted keys so the same model
 * always has the same bytes (and sha256), and read back only if its hash and format check out.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { LINEAR_MODEL_FORMAT, type LinearModelArtifact } from './artifact.js';
import { checkLinearModelArtifact } from './artifact-schema.js';

export const ARTIFACT_FILE_NAME = 'model.json';

/** A model file that cannot be trusted or used: missing, changed since registration, or malformed. */
export class ArtifactError extends Error {
  override readonly name = 'ArtifactError';
  constructor(readonly path: string, readonly problem: string) {
    super(`model artifact ${path}: ${problem}`);
  }
}

export interface WrittenArtifact {
  path: string;
  sha256: string;
  sizeBytes: number;
}

export interface ReadArtifact extends WrittenArtifact {
  artifact: LinearModelArtifact;
}

export async function writeArtifact(artifact: LinearModelArtifact, dir: string): Promise<WrittenArtifact> {
  const target = path.join(dir, ARTIFACT_FILE_NAME);
  const checked = checkLinearModelArtifact(artifact);
  if ('problems' in checked) throw new ArtifactError(target, `refusing to write an invalid model: ${checked.problems.join('; ')}`);
  const bytes = Buffer.from(`${JSON.stringify(sortKeys(artifact), null, 2)}\n`, 'utf8');
  await mkdir(dir, { recursive: true });
  // Write beside the target, flush, then rename: a reader sees the old file or the whole new one.
  const temporary = path.join(dir, `.${ARTIFACT_FILE_NAME}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
  return { path: target, sha256: sha256Hex(bytes), sizeBytes: bytes.length };
}

/** Reads and checks `model.json`; with `expectedSha256`, also that it is the file that was registered. */
export async function readArtifact(file: string, expectedSha256?: string): Promise<ReadArtifact> {
  const { bytes, sha256 } = await readVerifiedBytes(file, expectedSha256);
  const artifact = parseLinearArtifact(file, bytes);
  return { artifact, path: file, sha256, sizeBytes: bytes.length };
}

/** A model file's bytes and sha256; with `expectedSha256`, ArtifactError unless they are the recorded bytes. */
export async function readVerifiedBytes(file: string, expectedSha256?: string): Promise<{ bytes: Buffer; sha256: string }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ArtifactError(file, code === 'ENOENT' ? 'file not found' : `cannot be read (${(err as Error).message})`);
  }
  const sha256 = sha256Hex(bytes);
  if (expectedSha256 !== undefined && sha256 !== expectedSha256.toLowerCase()) {
    throw new ArtifactError(file, `sha256 is ${sha256} but ${expectedSha256} was expected: the file changed after it was recorded`);
  }
  return { bytes, sha256 };
}

/** The bytes of `file` as a checked linear model, or ArtifactError naming what is wrong. */
export function parseLinearArtifact(file: string, bytes: Uint8Array): LinearModelArtifact {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new ArtifactError(file, `not valid JSON (${(err as Error).message})`);
  }
  const format = typeof parsed === 'object' && parsed !== null ? (parsed as { format?: unknown }).format : undefined;
  if (format !== LINEAR_MODEL_FORMAT) {
    throw new ArtifactError(file, `format is ${format === undefined ? 'missing' : JSON.stringify(format)}, expected "${LINEAR_MODEL_FORMAT}"`);
  }
  const checked = checkLinearModelArtifact(parsed);
  if ('problems' in checked) throw new ArtifactError(file, `not a valid ${LINEAR_MODEL_FORMAT} model: ${checked.problems.join('; ')}`);
  return checked.artifact;
}

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A copy with object keys in code-unit order at every depth; arrays keep their order. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}
