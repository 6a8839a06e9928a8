/**
 * The gateway's route-change journal as timeline events: through the admin API of the first
 * gateway (replicas receive the same changes), or, when the gateway is not reachable, from the
 * journal file a gateway on this machine keeps under the data directory.
 */
import { GatewayAdminClient, GatewayAdminError } from '../serving/gateway-admin-client.js';
import { RouteChangeJournal, type RouteChangeRecord } from '../serving/route-change-journal.js';
import { trafficEvent } from './merge-timeline.js';
import type { TimelineEvent } from './timeline-event.js';

export interface GatewayLocation {
  /** Admin API base URL; undefined to read the local journal only. */
  url?: string;
  /** Admin token; undefined to read the local journal only. */
  token?: string;
  /** Where a local gateway keeps its state (`<dir>/gateway/route-changes.jsonl`). */
  stateDir: string;
}

export async function readRouteChanges(model: string, gateway: GatewayLocation): Promise<{ changes: RouteChangeRecord[]; source: string }> {
  const journal = RouteChangeJournal.inStateDir(gateway.stateDir);
  if (gateway.url && gateway.token) {
    try {
      return { changes: await new GatewayAdminClient(gateway.url, gateway.token).routeChanges(model), source: `gateway ${gateway.url}` };
    } catch (err) {
      // Unreachable, or a gateway too old to keep a journal: the local file is the next best record.
      if (!(err instanceof GatewayAdminError) || (err.status !== undefined && err.status !== 404)) throw err;
      return { changes: await journal.read(model), source: `${journal.file} (gateway ${gateway.url}: ${err.message})` };
    }
  }
  return { changes: await journal.read(model), source: journal.file };
}

export function routeChangeEvents(changes: readonly RouteChangeRecord[]): TimelineEvent[] {
  return changes.map((change) => trafficEvent({ time: new Date(change.at).toISOString(), weights: change.weights, revision: change.revision, sources: ['gateway'] }));
}
