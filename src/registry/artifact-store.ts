/**
 * Content-addressed artifact storage: each artifact lives once at `sha256/<first 2>/<sha256>`
 * under the store's root, whatever its name or how many versions share it. Reads check the
 * bytes against the hash, so a changed or truncated file is never handed to serving.
 *
 * An artifact is one file. A directory is refused rather than packed: the reader would then
 * need to know it got an archive, and the built-in model is a single model.json anyway.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArtifactIntegrityError, InvalidRegistryInputError } from './model-registry.js';
import { sha256File } from '../data/content-hash.js';

export interface StoredArtifact {
  sha256: string;
  size: number;
}

export class ArtifactStore {
  constructor(readonly root: string) {}

  /** Where the bytes with this hash are (or would be) stored. */
  pathFor(sha256: string): string {
    return path.join(this.root, 'sha256', sha256.slice(0, 2), sha256);
  }

  /** Copies the file into the store (if those bytes are not already there) and returns its hash. */
  async put(sourcePath: string): Promise<StoredArtifact> {
    await this.requireFile(sourcePath);
    const temporary = await this.temporaryPath();
    try {
      // Hash the copy, not the source, so the stored bytes are exactly what the hash names.
      const copied = await copyHashing(sourcePath, temporary);
      const target = this.pathFor(copied.sha256);
      if (await this.holdsIntact(target, copied.sha256)) return copied;
      await mkdir(path.dirname(target), { recursive: true });
      await rename(temporary, target);
      await syncDirectory(path.dirname(target));
      return copied;
    } finally {
      await rm(temporary, { force: true });
    }
  }

  /**
   * Writes the stored bytes to `destination` after checking them against `expected`; the
   * destination appears only when the check passes. `label` names the artifact in errors.
   */
  async copyOut(expected: StoredArtifact, destination: string, label: string): Promise<{ path: string; sha256: string }> {
    const source = this.pathFor(expected.sha256);
    if (!(await exists(source))) {
      throw new ArtifactIntegrityError(`artifact of ${label} is missing from the store: expected sha256 ${expected.sha256} at ${source}`);
    }
    await mkdir(path.dirname(destination), { recursive: true });
    const temporary = `${destination}.${randomUUID()}.partial`;
    try {
      const copied = await copyHashing(source, temporary);
      if (copied.sha256 !== expected.sha256 || copied.size !== expected.size) {
        throw new ArtifactIntegrityError(
          `artifact of ${label} was changed in the store: recorded sha256 ${expected.sha256} (${expected.size} bytes), ` +
            `stored bytes hash to ${copied.sha256} (${copied.size} bytes)`,
        );
      }
      await rename(temporary, destination);
      return { path: destination, sha256: copied.sha256 };
    } finally {
      await rm(temporary, { force: true });
    }
  }

  private async requireFile(sourcePath: string): Promise<void> {
    const info = await stat(sourcePath).catch(() => undefined);
    if (info === undefined) throw new InvalidRegistryInputError(`artifact not found: ${sourcePath}`);
    if (!info.isFile()) {
      throw new InvalidRegistryInputError(`artifact must be a single file, got ${info.isDirectory() ? 'a directory' : 'something else'}: ${sourcePath} (pack a directory into one file, e.g. a tar, first)`);
    }
  }

  private async temporaryPath(): Promise<string> {
    const directory = path.join(this.root, 'tmp');
    await mkdir(directory, { recursive: true });
    return path.join(directory, `${randomUUID()}.partial`);
  }

  /** True when the target exists with the right bytes; a damaged copy gets replaced by the caller. */
  private async holdsIntact(target: string, sha256: string): Promise<boolean> {
    if (!(await exists(target))) return false;
    return (await hashFile(target)).sha256 === sha256;
  }
}

/** Copies `source` to `destination`, hashing as it goes, and flushes the copy to disk. */
async function copyHashing(source: string, destination: string): Promise<StoredArtifact> {
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(createReadStream(source), tap, createWriteStream(destination));
  const handle = await open(destination, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { sha256: hash.digest('hex'), size };
}

export async function hashFile(file: string): Promise<StoredArtifact> {
  const { sha256, sizeBytes } = await sha256File(file);
  return { sha256, size: sizeBytes };
}

/** Makes a rename durable; best effort, as some platforms cannot open a directory. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The rename itself is atomic; only its durability across a power cut is at stake.
  }
}

async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined)) !== undefined;
}
