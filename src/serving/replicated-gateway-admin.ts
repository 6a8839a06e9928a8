/**
 * The admin API of several gateway replicas behind one load balancer, as one gateway: every
 * change goes to every replica, and a change counts only when each replica stored it. A replica
 * that did not take it (unreachable, refused, or storing other weights) is named in the error, so
 * the activity fails and its retry sends the change again; every change is idempotent (the same
 * URL or the same weights again change nothing), so retrying until all replicas agree is safe.
 *
 * Revisions are each replica's own counter (a replica started later counts from 0), so they are
 * reported, not compared; weights and URLs are what must agree.
 */
import { GatewayAdminClient, GatewayAdminError } from './gateway-admin-client.js';
import type { RouteTable, SetWeightsRequest } from './gateway-contract.js';

/** What deploy targets use of a gateway's admin API, whether one replica or several. */
export type GatewayAdmin = Pick<GatewayAdminClient, 'routes' | 'addVersion' | 'removeVersion' | 'setWeights'>;

/** One client for one URL; the replicated client for several (in the order given). */
export function openGatewayAdmin(urls: string | readonly string[], token: string, timeoutMs?: number): GatewayAdmin {
  const list = typeof urls === 'string' ? [urls] : [...new Set(urls)];
  if (list.length === 0) throw new RangeError('expected at least one gateway URL');
  return list.length === 1 ? new GatewayAdminClient(list[0]!, token, timeoutMs) : new ReplicatedGatewayAdmin(list, token, timeoutMs);
}

export class ReplicatedGatewayAdmin implements GatewayAdmin {
  private readonly replicas: { url: string; client: GatewayAdminClient }[];

  constructor(urls: readonly string[], token: string, timeoutMs?: number) {
    this.replicas = urls.map((url) => ({ url, client: new GatewayAdminClient(url, token, timeoutMs) }));
  }

  async routes(model: string): Promise<RouteTable | undefined> {
    const tables = await this.onEvery(`read the routes of "${model}"`, (client) => client.routes(model));
    const known = tables.filter((table): table is RouteTable => table !== undefined);
    if (known.length === 0) return undefined;
    this.assertAgree(`the routes of "${model}"`, tables);
    return known[0];
  }

  async addVersion(model: string, version: number, url: string): Promise<RouteTable> {
    const tables = await this.onEvery(`route ${model} v${version} to ${url}`, (client) => client.addVersion(model, version, url));
    return tables[0]!;
  }

  async removeVersion(model: string, version: number): Promise<RouteTable | undefined> {
    // A replica without the version (404 → undefined) has nothing left to remove.
    const tables = await this.onEvery(`remove ${model} v${version}`, (client) => client.removeVersion(model, version));
    return tables.find((table) => table !== undefined);
  }

  async setWeights(model: string, request: SetWeightsRequest): Promise<RouteTable> {
    if (request.ifRevision !== undefined) {
      throw new GatewayAdminError('ifRevision cannot be used with several gateway replicas: each counts its own revisions', 400);
    }
    const weights = describeWeights(request.weights);
    const tables = await this.onEvery(`set the weights of "${model}" to ${weights}`, (client) => client.setWeights(model, request));
    this.assertAgree(`the weights of "${model}" after setting ${weights}`, tables);
    return tables[0]!;
  }

  /** The same call on every replica at once; fails naming each replica that did not answer or refused. */
  private async onEvery<T>(what: string, call: (client: GatewayAdminClient) => Promise<T>): Promise<T[]> {
    const settled = await Promise.allSettled(this.replicas.map(({ client }) => call(client)));
    const failed = settled.flatMap((result, i) => (result.status === 'rejected' ? [`${this.replicas[i]!.url}: ${(result.reason as Error).message}`] : []));
    if (failed.length > 0) {
      const status = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected')?.reason?.status as number | undefined;
      throw new GatewayAdminError(
        `${failed.length} of ${this.replicas.length} gateway replicas did not ${what} (the others did; retrying sends it again):\n  ${failed.join('\n  ')}`,
        status,
      );
    }
    return settled.map((result) => (result as PromiseFulfilledResult<T>).value);
  }

  /** Every replica routes the same versions to the same URLs at the same weights. */
  private assertAgree(what: string, tables: readonly (RouteTable | undefined)[]): void {
    const shapes = tables.map((table) => (table ? describeRoutes(table) : 'no routes'));
    if (shapes.every((shape) => shape === shapes[0])) return;
    const lines = tables.map((table, i) => `${this.replicas[i]!.url}: ${shapes[i]}${table ? ` (revision ${table.revision})` : ''}`);
    throw new GatewayAdminError(`gateway replicas disagree on ${what}:\n  ${lines.join('\n  ')}`, 409);
  }
}


function describeRoutes(table: RouteTable): string {
  return table.routes.map((route) => `v${route.version}=${route.weight}@${route.url}`).join(', ') || 'no versions';
}

function describeWeights(weights: Record<string, number>): string {
  return Object.entries(weights).map(([version, weight]) => `v${version}=${weight}`).join(', ');
}
