/**
 * Which alerts were already raised, read back from `<dataDir>/alerts.jsonl` (alert-log.ts): the
 * `sendAlert` activity records every alert there before delivering it, so a check that evaluates
 * the same situation again (a performance window re-judged as late labels arrive) can raise it
 * once. A dedup key counts as raised when its last record is a trigger, not a resolve.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export async function raisedDedupKeys(dataDir: string, keys: Iterable<string>): Promise<Set<string>> {
  const wanted = new Set(keys);
  const raised = new Set<string>();
  if (wanted.size === 0) return raised;
  let text: string;
  try {
    text = await readFile(path.join(dataDir, 'alerts.jsonl'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return raised;
    throw err;
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let record: { dedupKey?: unknown; action?: unknown };
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      continue; // a line cut short by a crash mid-append says nothing
    }
    if (typeof record.dedupKey !== 'string' || !wanted.has(record.dedupKey)) continue;
    if (record.action === 'resolve') raised.delete(record.dedupKey);
    else raised.add(record.dedupKey);
  }
  return raised;
}
