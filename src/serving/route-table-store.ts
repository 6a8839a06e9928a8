/**
 * The gateway's route tables, in memory for the request path and in
 * `<dataDir>/gateway/routes.json` for restarts. Changes run one at a time: each computes the
 * next table, writes the whole file (temp file + rename), then swaps the table in, so a
 * restarted gateway comes back with exactly the weights it last confirmed. Each committed change
 * is also appended to the route-change journal (`mlops history --at`).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { RouteTable } from './gateway-contract.js';
import { emptyRouteTable } from './route-table.js';
import { compileTrafficSplit, type TrafficSplit } from './traffic-split.js';
import { RouteChangeJournal } from './route-change-journal.js';

const routesFileSchema = z.object({
  models: z.array(
    z.object({
      model: z.string(),
      routes: z.array(z.object({ version: z.number().int().positive(), url: z.string(), weight: z.number().int().min(0).max(100) })),
      revision: z.number().int().min(0),
      updatedAt: z.string(),
    }),
  ),
});

export class RouteTableStore {
  private readonly splits = new Map<string, TrafficSplit>();
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly onChange: (table: RouteTable) => void,
    readonly journal: RouteChangeJournal,
    private readonly onJournalError: (error: unknown) => void,
  ) {}

  /**
   * Loads `<dataDir>/gateway/routes.json` when it exists. A journal write that fails goes to
   * `onJournalError` and does not refuse the change: traffic correctness comes before its record.
   */
  static async open(dataDir: string, onChange: (table: RouteTable) => void = () => {}, onJournalError: (error: unknown) => void = () => {}): Promise<RouteTableStore> {
    const store = new RouteTableStore(path.join(dataDir, 'gateway', 'routes.json'), onChange, RouteChangeJournal.inStateDir(dataDir), onJournalError);
    let text: string | undefined;
    try {
      text = await readFile(store.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text !== undefined) {
      const parsed = routesFileSchema.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error(`${store.file} is not a gateway route file: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      for (const table of parsed.data.models) {
        store.splits.set(table.model, compileTrafficSplit(table));
        onChange(table);
      }
      await store.journal.repair(parsed.data.models).catch(onJournalError);
    }
    return store;
  }

  /** The request path's view: a compiled split, replaced whole on every change. */
  split(model: string): TrafficSplit | undefined {
    return this.splits.get(model);
  }

  get(model: string): RouteTable | undefined {
    return this.splits.get(model)?.table;
  }

  /**
   * Applies `change` to the model's current table (an empty one if the model is new) after
   * every earlier change has finished; persists and swaps in the result unless it is the same
   * table. A throw from `change` refuses the change and leaves everything as it was.
   */
  update(model: string, change: (current: RouteTable) => RouteTable): Promise<RouteTable> {
    const run = this.queue.then(async () => {
      const current = this.get(model) ?? emptyRouteTable(model, new Date());
      const next = change(current);
      if (next === current && this.splits.has(model)) return current;
      await this.persist(model, next);
      await this.journal.append(next).catch(this.onJournalError);
      this.splits.set(model, compileTrafficSplit(next));
      this.onChange(next);
      return next;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async persist(model: string, next: RouteTable): Promise<void> {
    const models = [...this.splits.values()].map((split) => split.table).filter((table) => table.model !== model);
    models.push(next);
    models.sort((a, b) => a.model.localeCompare(b.model));
    const temporary = `${this.file}.${randomBytes(6).toString('hex')}.tmp`;
    await mkdir(path.dirname(this.file), { recursive: true });
    try {
      await writeFile(temporary, `${JSON.stringify({ models }, null, 2)}\n`);
      await rename(temporary, this.file);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}
