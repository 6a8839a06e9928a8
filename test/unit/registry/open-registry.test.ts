import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedRegistry } from '../../../src/registry/embedded-registry.js';
import { openRegistry } from '../../../src/registry/open-registry.js';
import { makeTempDir } from '../../support/registry-fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await makeTempDir('open-registry-')));
afterEach(() => cleanup());

describe('openRegistry', () => {
  it('opens the embedded registry in <dataDir>/registry by default', async () => {
    const registry = await openRegistry({ kind: 'embedded' }, { dataDir: dir });
    expect(registry).toBeInstanceOf(EmbeddedRegistry);
    expect(existsSync(path.join(dir, 'registry', 'registry.db'))).toBe(true);
    await registry.close();
  });

  it('opens it in the directory named by the registry section', async () => {
    const chosen = path.join(dir, 'elsewhere');
    const registry = await openRegistry({ kind: 'embedded', path: chosen }, { dataDir: path.join(dir, 'data') });
    expect(existsSync(path.join(chosen, 'registry.db'))).toBe(true);
    expect(existsSync(path.join(dir, 'data'))).toBe(false);
    await registry.close();
  });
});
