/**
 * Picking a version for a request. A route table compiles to 100 slots (one per percent), so
 * a pick is one array read; a routing key hashes to a fixed slot, so the same key keeps its
 * version while the weights stay put, and moves only when its slot changes hands.
 */
import type { RouteEntry, RouteTable } from './gateway-contract.js';

export interface TrafficSplit {
  table: RouteTable;
  /** slot (0..99) → route; empty when no version takes traffic. */
  slots: RouteEntry[];
  byVersion: Map<number, RouteEntry>;
}

export function compileTrafficSplit(table: RouteTable): TrafficSplit {
  const slots: RouteEntry[] = [];
  // Versions in ascending order own consecutive slot ranges: raising a canary's weight moves
  // only the keys at the boundary.
  for (const route of [...table.routes].sort((a, b) => a.version - b.version)) {
    for (let i = 0; i < route.weight; i++) slots.push(route);
  }
  return { table, slots: slots.length === 100 ? slots : [], byVersion: new Map(table.routes.map((route) => [route.version, route])) };
}

/** The version for a request: by the routing key when given (sticky), else uniformly at random. */
export function pickRoute(split: TrafficSplit, routingKey: string | undefined): RouteEntry | undefined {
  if (split.slots.length === 0) return undefined;
  const slot = routingKey === undefined ? Math.floor(Math.random() * 100) : stableHash(routingKey) % 100;
  return split.slots[slot];
}

/** FNV-1a (32 bit) with a final avalanche, so similar keys (user-1, user-2) spread over all slots. */
export function stableHash(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
