/**
 * One keep-alive connection pool per upstream URL, created on first use and closed when no
 * route points at that URL any more.
 */
import { Pool } from 'undici';
import type { RouteTable } from './gateway-contract.js';

export interface UpstreamLimits {
  /** Connections per upstream (default 64). */
  connectionsPerUpstream?: number;
  /** Time allowed for the upstream's headers, and then for its body (default 30 s each). */
  upstreamTimeoutMs?: number;
}

export interface Upstream {
  pool: Pool;
  /** The URL's path without its trailing slash, prefixed to every request path. */
  basePath: string;
}

export class UpstreamPools {
  private readonly upstreams = new Map<string, Upstream>();
  private readonly urlsByModel = new Map<string, Set<string>>();

  constructor(private readonly limits: UpstreamLimits = {}) {}

  get(url: string): Upstream {
    let upstream = this.upstreams.get(url);
    if (!upstream) {
      const parsed = new URL(url);
      const timeout = this.limits.upstreamTimeoutMs ?? 30_000;
      upstream = {
        pool: new Pool(parsed.origin, { connections: this.limits.connectionsPerUpstream ?? 64, keepAliveTimeout: 30_000, headersTimeout: timeout, bodyTimeout: timeout }),
        basePath: parsed.pathname.replace(/\/+$/, ''),
      };
      this.upstreams.set(url, upstream);
    }
    return upstream;
  }

  /** Called on every route change: closes pools whose URL no model routes to any more. */
  track(table: RouteTable): void {
    this.urlsByModel.set(table.model, new Set(table.routes.map((route) => route.url)));
    const inUse = new Set([...this.urlsByModel.values()].flatMap((urls) => [...urls]));
    for (const [url, upstream] of this.upstreams) {
      if (inUse.has(url)) continue;
      this.upstreams.delete(url);
      void upstream.pool.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    const pools = [...this.upstreams.values()].map((upstream) => upstream.pool);
    this.upstreams.clear();
    await Promise.all(pools.map((pool) => pool.destroy()));
  }
}
