import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArtifactStore } from '../../../src/registry/artifact-store.js';
import { ArtifactIntegrityError } from '../../../src/registry/model-registry.js';
import { makeTempDir, writeArtifact } from '../../support/registry-fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
let store: ArtifactStore;

beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir('artifact-store-'));
  store = new ArtifactStore(path.join(dir, 'artifacts'));
});
afterEach(() => cleanup());

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('ArtifactStore', () => {
  it('stores a file at sha256/<first 2>/<sha256> and reports its hash and size', async () => {
    const stored = await store.put(await writeArtifact(dir, 'hello model'));
    expect(stored).toEqual({ sha256: sha256('hello model'), size: 11 });
    expect(store.pathFor(stored.sha256)).toBe(path.join(dir, 'artifacts', 'sha256', stored.sha256.slice(0, 2), stored.sha256));
    expect(await readFile(store.pathFor(stored.sha256), 'utf8')).toBe('hello model');
    expect(await readdir(path.join(dir, 'artifacts', 'tmp'))).toEqual([]);
  });

  it('keeps one copy of identical bytes and leaves it in place', async () => {
    const first = await store.put(await writeArtifact(dir, 'same', 'a.json'));
    const before = await stat(store.pathFor(first.sha256));
    const second = await store.put(await writeArtifact(dir, 'same', 'b.json'));
    expect(second).toEqual(first);
    expect((await stat(store.pathFor(first.sha256))).ino).toBe(before.ino);
  });

  it('replaces a damaged copy when the same bytes are stored again', async () => {
    const stored = await store.put(await writeArtifact(dir, 'original'));
    await writeFile(store.pathFor(stored.sha256), 'damaged');
    await store.put(await writeArtifact(dir, 'original'));
    expect(await readFile(store.pathFor(stored.sha256), 'utf8')).toBe('original');
  });

  it('copies out verified bytes, and refuses changed or missing ones', async () => {
    const stored = await store.put(await writeArtifact(dir, 'weights'));
    const out = await store.copyOut(stored, path.join(dir, 'out', 'model.json'), 'm version 1');
    expect(await readFile(out.path, 'utf8')).toBe('weights');

    await writeFile(store.pathFor(stored.sha256), 'weightz');
    await expect(store.copyOut(stored, path.join(dir, 'bad.json'), 'm version 1')).rejects.toThrow(ArtifactIntegrityError);
    await expect(store.copyOut(stored, path.join(dir, 'bad.json'), 'm version 1')).rejects.toThrow(
      `artifact of m version 1 was changed in the store: recorded sha256 ${stored.sha256} (7 bytes), stored bytes hash to ${sha256('weightz')} (7 bytes)`,
    );
    await expect(stat(path.join(dir, 'bad.json'))).rejects.toThrow(/ENOENT/);

    await expect(store.copyOut({ sha256: sha256('never stored'), size: 1 }, path.join(dir, 'x'), 'm version 2')).rejects.toThrow(/m version 2 is missing/);
  });
});
