/**
 * Files one activity writes and the next reads, when the two may run on different hosts: the data
 * snapshot, the trained artifact, its reference profile. The writer keeps its local path and puts
 * the bytes content-addressed into the pipeline's blob store (`storage`); a reader on another
 * host (or the same host after its data directory was wiped) gets them back by sha256, verified,
 * into `<dataDir>/shared/`. Without `storage` nothing is shared: one host, today's `.data/`.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from '../data/content-hash.js';
import type { BlobStore } from './blob-store.js';

/** Where the bytes are in the blob store, and what they hash to. */
export interface SharedFile {
  key: string;
  sha256: string;
}

/** Puts the file into the store once (content-addressed: an upload of bytes already there is skipped). */
export async function shareFile(store: BlobStore, localPath: string): Promise<SharedFile> {
  const stored = await store.putContentAddressed({ path: localPath });
  return { key: stored.key, sha256: stored.sha256 };
}

/**
 * A path on this host holding the shared bytes: `preferred` when it is there with those bytes
 * (the writer's own host), else a verified download to `<dataDir>/shared/<sha256><ext>` (kept:
 * the next activity of the run on this host finds it).
 */
export async function localCopy(store: BlobStore, shared: SharedFile, preferred: string, dataDir: string): Promise<string> {
  if (await hasBytes(preferred, shared.sha256)) return preferred;
  const copy = path.join(dataDir, 'shared', `${shared.sha256}${path.extname(preferred)}`);
  if (await hasBytes(copy, shared.sha256)) return copy;
  await store.getToFile(shared.key, copy);
  return copy;
}

async function hasBytes(file: string, sha256: string): Promise<boolean> {
  const info = await stat(file).catch(() => undefined);
  return info?.isFile() === true && (await sha256File(file)).sha256 === sha256;
}
