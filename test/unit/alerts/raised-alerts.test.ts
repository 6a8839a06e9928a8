import { describe, expect, it } from 'vitest';
import { appendFile, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { raisedDedupKeys } from '../../../src/alerts/raised-alerts.js';

describe('raisedDedupKeys', () => {
  it('is empty before any alert was recorded', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-raised-'));
    expect(await raisedDedupKeys(dataDir, ['performance/m/v1/x'])).toEqual(new Set());
  });

  it('counts a key as raised when its last record is a trigger; a resolve re-arms it; a torn last line is ignored', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-raised-'));
    const log = path.join(dataDir, 'alerts.jsonl');
    const lines = [
      { dedupKey: 'a', action: 'trigger' },
      { dedupKey: 'b', action: 'trigger' },
      { dedupKey: 'b', action: 'resolve' },
      { dedupKey: 'c' },
      { dedupKey: 'unasked', action: 'trigger' },
    ];
    await appendFile(log, `${lines.map((line) => JSON.stringify(line)).join('\n')}\n{"dedupKey":"d","act`);
    expect(await raisedDedupKeys(dataDir, ['a', 'b', 'c', 'd'])).toEqual(new Set(['a', 'c']));
  });
});
