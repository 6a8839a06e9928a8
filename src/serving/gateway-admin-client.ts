/** A typed client of the gateway's admin API (see gateway-contract.ts). */
import type { ModelStats, RouteTable, SetWeightsRequest } from './gateway-contract.js';
import type { RouteChangeRecord } from './route-change-journal.js';

export class GatewayAdminError extends Error {
  override readonly name = 'GatewayAdminError';
  constructor(message: string, readonly status: number | undefined) {
    super(message);
  }
}

export class GatewayAdminClient {
  constructor(private readonly baseUrl: string, private readonly token: string, private readonly timeoutMs = 5_000) {}

  routes(model: string): Promise<RouteTable | undefined> {
    return this.call<RouteTable>('GET', `/admin/models/${encodeURIComponent(model)}/routes`, undefined, true);
  }

  /** Every committed change of the model's route table, oldest first ([] for an unknown model). */
  async routeChanges(model: string): Promise<RouteChangeRecord[]> {
    return (await this.call<{ changes: RouteChangeRecord[] }>('GET', `/admin/models/${encodeURIComponent(model)}/route-changes`))!.changes;
  }

  async addVersion(model: string, version: number, url: string): Promise<RouteTable> {
    return (await this.call<RouteTable>('PUT', `/admin/models/${encodeURIComponent(model)}/versions/${version}`, { url }))!;
  }

  async removeVersion(model: string, version: number): Promise<RouteTable | undefined> {
    return this.call<RouteTable>('DELETE', `/admin/models/${encodeURIComponent(model)}/versions/${version}`, undefined, true);
  }

  async setWeights(model: string, request: SetWeightsRequest): Promise<RouteTable> {
    return (await this.call<RouteTable>('PUT', `/admin/models/${encodeURIComponent(model)}/weights`, request))!;
  }

  /** Shadow traffic to `mirror.version` (null: none). */
  async setMirror(model: string, mirror: { version: number; percent: number } | null): Promise<RouteTable> {
    const path = `/admin/models/${encodeURIComponent(model)}/mirror`;
    return (await (mirror === null ? this.call<RouteTable>('DELETE', path) : this.call<RouteTable>('PUT', path, mirror)))!;
  }

  async stats(model: string, windowSeconds: number): Promise<ModelStats> {
    return (await this.call<ModelStats>('GET', `/admin/models/${encodeURIComponent(model)}/stats?windowSeconds=${windowSeconds}`))!;
  }

  private async call<T>(method: string, path: string, body?: unknown, notFoundIsUndefined = false): Promise<T | undefined> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl.replace(/\/$/, '')}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new GatewayAdminError(`gateway at ${this.baseUrl} is unreachable: ${(err as Error).message}`, undefined);
    }
    if (notFoundIsUndefined && response.status === 404) return undefined;
    const text = await response.text();
    if (!response.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        // not JSON: keep the text
      }
      throw new GatewayAdminError(`gateway ${method} ${path} answered ${response.status}: ${message}`, response.status);
    }
    return JSON.parse(text) as T;
  }
}
