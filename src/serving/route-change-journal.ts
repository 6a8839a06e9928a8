/**
 * The gateway's record of every route-table change: one JSON line per committed revision in
 * `<stateDir>/gateway/route-changes.jsonl`, appended after the table is persisted. It answers
 * "which versions took which share of traffic at time T" (`mlops history --at`), which the
 * current table in routes.json alone cannot. Append-only; a reader keeps the last line of each
 * (model, revision), so a line written twice (a repair after a crash) changes nothing.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { RouteTable } from './gateway-contract.js';

export const RouteChangeRecord = z.object({
  model: z.string(),
  revision: z.number().int().min(0),
  /** When the table took effect (the table's updatedAt, ISO). */
  at: z.string(),
  /** version → percent after the change; all 0 before the first weights are set. */
  weights: z.record(z.string(), z.number().int().min(0).max(100)),
  /** Shadow traffic in force after the change (deploy.shadow); absent when none. */
  mirror: z.object({ version: z.number().int(), percent: z.number().int() }).optional(),
});
export type RouteChangeRecord = z.infer<typeof RouteChangeRecord>;

export function routeChangeOf(table: RouteTable): RouteChangeRecord {
  return {
    model: table.model, revision: table.revision, at: table.updatedAt, weights: Object.fromEntries(table.routes.map((route) => [String(route.version), route.weight])),
    ...(table.mirror && { mirror: { version: table.mirror.version, percent: table.mirror.percent } }),
  };
}

export class RouteChangeJournal {
  constructor(readonly file: string) {}

  static inStateDir(stateDir: string): RouteChangeJournal {
    return new RouteChangeJournal(path.join(stateDir, 'gateway', 'route-changes.jsonl'));
  }

  async append(table: RouteTable): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    await appendFile(this.file, `${JSON.stringify(routeChangeOf(table))}\n`);
  }

  /**
   * Appends each table whose revision the journal lacks (the gateway stopped between persisting
   * routes.json and appending here): the change is recorded at the time it took effect.
   */
  async repair(tables: readonly RouteTable[]): Promise<void> {
    const recorded = await this.read();
    for (const table of tables) {
      const last = recorded.filter((change) => change.model === table.model).at(-1);
      if (!last || last.revision < table.revision) await this.append(table);
    }
  }

  /** The changes of `model` (or of every model), oldest revision first; [] when nothing was recorded. */
  async read(model?: string): Promise<RouteChangeRecord[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const byKey = new Map<string, RouteChangeRecord>();
    text.split('\n').forEach((line, index) => {
      if (line.trim() === '') return;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        // A line cut short by a crash mid-append is the only way to get here: it never took effect.
        return;
      }
      const parsed = RouteChangeRecord.safeParse(json);
      if (!parsed.success) throw new Error(`${this.file}:${index + 1}: not a route change: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      if (model === undefined || parsed.data.model === model) byKey.set(`${parsed.data.model}\u0000${parsed.data.revision}`, parsed.data);
    });
    return [...byKey.values()].sort((a, b) => a.model.localeCompare(b.model) || a.revision - b.revision);
  }
}
