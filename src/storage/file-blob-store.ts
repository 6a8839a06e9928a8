/**
 * The file:// blob store: the embedded default, one directory on this host (today's `.data/`).
 * An object is the plain file `<root>/<key>`, so people and DuckDB can read it in place; its
 * sha256 is recorded beside the tree in `<root>/.blobstore/sha256/<key>`.
 *
 * Writes go to `<root>/.blobstore/tmp/` first and are renamed into place (same filesystem, so
 * atomic): a crash leaves a temp file, never half an object under its key. Two writers racing
 * on one key may pair one's hash with the other's bytes; reads then fail loudly, never silently.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sha256File } from '../data/content-hash.js';
import {
  BlobNotFoundError,
  BlobVersionUnsupportedError,
  readVersionLabel,
  RESERVED_KEY_SEGMENT,
  contentAddressedKey,
  isFileSource,
  sha256NamedByKey,
  syncFile,
  throughVerifier,
  validateBlobKey,
  validateBlobPrefix,
  verifyingStream,
  writeHashedFile,
  writeVerifiedToFile,
  type BlobInfo,
  type BlobReadOptions,
  type BlobSource,
  type BlobStore,
  type HashingStream,
} from './blob-store.js';

export class FileBlobStore implements BlobStore {
  readonly url: string;
  readonly root: string;
  private readonly temporaryDir: string;
  private readonly hashDir: string;

  /** `root` is a directory path or a file:// URL; it is created on first write. */
  constructor(root: string | URL) {
    this.root = typeof root === 'string' && !root.startsWith('file:') ? path.resolve(root) : fileURLToPath(root);
    this.url = pathToFileURL(this.root).href;
    this.temporaryDir = path.join(this.root, RESERVED_KEY_SEGMENT, 'tmp');
    this.hashDir = path.join(this.root, RESERVED_KEY_SEGMENT, 'sha256');
  }

  async put(key: string, source: BlobSource): Promise<Required<BlobInfo>> {
    validateBlobKey(key);
    const temporary = await this.temporaryPath();
    try {
      const written = await writeHashedFile(source, temporary);
      await this.commit(temporary, key, written.sha256);
      return { key, ...written };
    } finally {
      await rm(temporary, { force: true });
    }
  }

  async putContentAddressed(source: BlobSource): Promise<Required<BlobInfo>> {
    if (isFileSource(source)) {
      // A file can be hashed where it is, so bytes already stored are never copied at all.
      const { sha256, sizeBytes } = await sha256File(source.path);
      const key = contentAddressedKey(sha256);
      if (await this.holds(key, sizeBytes)) return { key, sha256, size: sizeBytes };
    }
    const temporary = await this.temporaryPath();
    try {
      const written = await writeHashedFile(source, temporary);
      const key = contentAddressedKey(written.sha256);
      if (!(await this.holds(key, written.size))) await this.commit(temporary, key, written.sha256);
      return { key, ...written };
    } finally {
      await rm(temporary, { force: true });
    }
  }

  async get(key: string, options: BlobReadOptions = {}): Promise<Readable> {
    return this.openVerified(key, options);
  }

  async getToFile(key: string, destination: string, options: BlobReadOptions = {}): Promise<Required<BlobInfo>> {
    return { key, ...(await writeVerifiedToFile(await this.openVerified(key, options), destination)) };
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    validateBlobKey(key);
    const info = await stat(this.objectPath(key)).catch(ignoreMissing);
    if (!info?.isFile()) return undefined;
    const sha256 = await this.expectedSha256(key);
    return sha256 === undefined ? { key, size: info.size } : { key, size: info.size, sha256 };
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== undefined;
  }

  async list(prefix = ''): Promise<BlobInfo[]> {
    validateBlobPrefix(prefix);
    // Walk only the deepest directory the prefix names; the rest of the prefix filters names.
    const directoryPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const found: BlobInfo[] = [];
    for await (const key of this.walk(directoryPart)) {
      if (!key.startsWith(prefix)) continue;
      const info = await stat(this.objectPath(key)).catch(ignoreMissing);
      if (info?.isFile()) found.push({ key, size: info.size });
    }
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    validateBlobKey(key);
    // The object first: a crash in between leaves a stray hash, which names no object.
    await unlink(this.objectPath(key)).catch(ignoreMissing);
    await unlink(this.hashPath(key)).catch(ignoreMissing);
  }

  private async openVerified(key: string, options: BlobReadOptions = {}): Promise<HashingStream> {
    validateBlobKey(key);
    const version = readVersionLabel(options);
    if (version !== undefined) throw new BlobVersionUnsupportedError(key, this.url, version);
    const handle = await open(this.objectPath(key), 'r').catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' || error.code === 'EISDIR' ? new BlobNotFoundError(key, this.url) : error;
    });
    const expected = sha256NamedByKey(key) ?? (await this.expectedSha256(key));
    return throughVerifier(handle.createReadStream(), verifyingStream(key, this.url, expected));
  }

  /** The hash to check reads against: named by the key, else the one recorded at put (if any). */
  private async expectedSha256(key: string): Promise<string | undefined> {
    const named = sha256NamedByKey(key);
    if (named) return named;
    const recorded = await readFile(this.hashPath(key), 'utf8').catch(ignoreMissing);
    return recorded?.trim() || undefined;
  }

  /** Records the hash, then renames the bytes into place (see the file comment for why in that order). */
  private async commit(temporary: string, key: string, sha256: string): Promise<void> {
    const target = this.objectPath(key);
    const hashFile = this.hashPath(key);
    await mkdir(path.dirname(hashFile), { recursive: true });
    const hashTemporary = await this.temporaryPath();
    await writeFile(hashTemporary, `${sha256}\n`, { flag: 'wx' });
    await syncFile(hashTemporary);
    await rename(hashTemporary, hashFile);
    await mkdir(path.dirname(target), { recursive: true });
    await rename(temporary, target);
  }

  /** True when the content-addressed key is stored with the right size (reads check the hash). */
  private async holds(key: string, size: number): Promise<boolean> {
    const info = await stat(this.objectPath(key)).catch(ignoreMissing);
    return info?.isFile() === true && info.size === size;
  }

  private async *walk(relativeDir: string): AsyncGenerator<string> {
    const entries = await readdir(path.join(this.root, relativeDir), { withFileTypes: true }).catch(ignoreMissing);
    for (const entry of entries ?? []) {
      const key = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
      if (key === RESERVED_KEY_SEGMENT) continue;
      if (entry.isDirectory()) yield* this.walk(key);
      else if (entry.isFile()) yield key;
    }
  }

  private objectPath(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }

  private hashPath(key: string): string {
    return path.join(this.hashDir, ...key.split('/'));
  }

  private async temporaryPath(): Promise<string> {
    await mkdir(this.temporaryDir, { recursive: true });
    return path.join(this.temporaryDir, randomUUID());
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): undefined {
  if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
  throw error;
}
