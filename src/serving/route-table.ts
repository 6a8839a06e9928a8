/**
 * Pure operations on a model's route table: each returns a new table (or the same one when
 * nothing changes), so the gateway swaps tables atomically and readers never see half an edit.
 */
import type { RouteEntry, RouteTable } from './gateway-contract.js';

/** A refused admin change; `status` is the HTTP status the admin API answers with. */
export class RouteTableError extends Error {
  override readonly name = 'RouteTableError';
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

/** Model names become path segments (`model=<m>`) of the prediction log, so keep them plain. */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function emptyRouteTable(model: string, now: Date): RouteTable {
  return { model, routes: [], revision: 0, updatedAt: now.toISOString() };
}

/** Adds a version at weight 0; the same URL again is a no-op, another URL replaces it (weight kept). */
export function upsertVersion(table: RouteTable, version: number, url: string, now: Date): RouteTable {
  const existing = table.routes.find((route) => route.version === version);
  if (existing?.url === url) return table;
  const routes = existing
    ? table.routes.map((route) => (route.version === version ? { ...route, url } : route))
    : [...table.routes, { version, url, weight: 0 }].sort((a, b) => a.version - b.version);
  return bump(table, routes, now);
}

export function removeVersion(table: RouteTable, version: number, now: Date): RouteTable {
  const existing = table.routes.find((route) => route.version === version);
  if (!existing) throw new RouteTableError(404, `model "${table.model}" has no version ${version}`);
  if (existing.weight > 0) {
    throw new RouteTableError(409, `version ${version} of "${table.model}" still takes ${existing.weight}% of traffic; set its weight to 0 first`);
  }
  return bump(table, table.routes.filter((route) => route.version !== version), now);
}

/**
 * Sets every weight at once. Versions left out get 0; weights must be integers 0..100 over
 * known versions summing to 100. `ifRevision` makes it a compare-and-set.
 */
export function setWeights(table: RouteTable, weights: Record<string, number>, ifRevision: number | undefined, now: Date): RouteTable {
  if (ifRevision !== undefined && ifRevision !== table.revision) {
    throw new RouteTableError(409, `route table of "${table.model}" is at revision ${table.revision}, not ${ifRevision}`);
  }
  const problems: string[] = [];
  const next = new Map<number, number>(table.routes.map((route) => [route.version, 0]));
  for (const [key, weight] of Object.entries(weights)) {
    const version = Number(key);
    if (!next.has(version) || String(version) !== key) problems.push(`weights.${key}: "${table.model}" has no version ${key}`);
    else if (!Number.isInteger(weight) || weight < 0 || weight > 100) problems.push(`weights.${key}: expected an integer 0..100, got ${String(weight)}`);
    else next.set(version, weight);
  }
  const sum = [...next.values()].reduce((total, weight) => total + weight, 0);
  if (problems.length === 0 && sum !== 100) problems.push(`weights: must sum to 100, got ${sum}`);
  if (problems.length > 0) throw new RouteTableError(400, problems.join('; '));
  if (table.routes.every((route) => route.weight === next.get(route.version))) return table;
  return bump(table, table.routes.map((route) => ({ ...route, weight: next.get(route.version)! })), now);
}

/** Mirrors `percent` of the requests to a routed version (shadow traffic); null stops it. */
export function setMirror(table: RouteTable, mirror: { version: number; percent: number } | null, now: Date): RouteTable {
  if (mirror === null) return table.mirror === undefined ? table : bump(table, table.routes, now, null);
  if (!table.routes.some((route) => route.version === mirror.version)) throw new RouteTableError(404, `model "${table.model}" has no version ${mirror.version} to mirror to`);
  if (!Number.isInteger(mirror.percent) || mirror.percent < 1 || mirror.percent > 100) throw new RouteTableError(400, `mirror.percent: expected an integer 1..100, got ${String(mirror.percent)}`);
  if (table.mirror?.version === mirror.version && table.mirror.percent === mirror.percent) return table;
  return bump(table, table.routes, now, mirror);
}

/** A new revision; the mirror is kept unless one is given (null: removed). */
function bump(table: RouteTable, routes: RouteEntry[], now: Date, mirror: RouteTable['mirror'] | null = table.mirror): RouteTable {
  // A mirror to a version that is no longer routed goes with it.
  const kept = mirror && routes.some((route) => route.version === mirror.version) ? mirror : undefined;
  return { model: table.model, routes, revision: table.revision + 1, updatedAt: now.toISOString(), ...(kept && { mirror: kept }) };
}
