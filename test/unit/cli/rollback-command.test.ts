import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { rollbackCommand } from '../../../src/cli/commands/rollback.js';

const root = path.resolve(import.meta.dirname, '../../..');

describe('mlops rollback', () => {
  afterEach(() => vi.restoreAllMocks());

  it('refuses without --pipeline instead of assuming the embedded registry and the local target', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await rollbackCommand('fraud-detector', {})).toBe(2);
    expect(errors.mock.calls.flat().join('\n')).toMatch(/--pipeline/);
  });

  it('refuses a definition of another model', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await rollbackCommand('churn', { pipeline: path.join(root, 'examples/fraud/pipeline.yaml') })).toBe(2);
    expect(errors.mock.calls.flat().join('\n')).toMatch(/defines model "fraud-detector", not "churn"/);
  });
});
