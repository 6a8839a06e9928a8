/**
 * `mlops history <model>`: the registry's audit trail, the workflows' histories and the
 * gateway's route changes, merged into one time-ordered timeline; optionally from a time on
 * (`since`) and with the traffic split at a time (`at`). A source that cannot be read is named
 * in `notes` rather than silently missing.
 */
import type { Client } from '@temporalio/client';
import { EmbeddedRegistry } from '../registry/embedded-registry.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import { eventsSince, mergeTimeline } from './merge-timeline.js';
import { registryTimeline } from './registry-events.js';
import { readRouteChanges, routeChangeEvents, type GatewayLocation } from './route-change-source.js';
import { trafficAt, type TrafficAtAnswer } from './traffic-at.js';
import type { TimelineEvent } from './timeline-event.js';
import { workflowRunsTimeline } from './workflow-runs.js';

export interface ModelHistorySources {
  registry: ModelRegistry;
  /** Undefined when Temporal is not reachable (the note says so). */
  temporal?: Client;
  gateway: GatewayLocation;
}

export interface ModelHistory {
  model: string;
  since?: string;
  events: TimelineEvent[];
  /** The split at `at`, from the gateway's route changes (the workflows' when the gateway has none). */
  trafficAt?: TrafficAtAnswer & { source: string };
  notes: string[];
}

export class UnknownModelError extends Error {
  override readonly name = 'UnknownModelError';
}

export async function collectModelHistory(model: string, sources: ModelHistorySources, options: { since?: Date; at?: Date } = {}): Promise<ModelHistory> {
  const notes: string[] = [];
  const known = (await sources.registry.listModels()).map((entry) => entry.name);
  const inRegistry = known.includes(model);
  const registryEvents = inRegistry
    ? registryTimeline(await sources.registry.listVersions(model), sources.registry instanceof EmbeddedRegistry ? await sources.registry.listEvents(model) : undefined)
    : [];
  if (inRegistry && !(sources.registry instanceof EmbeddedRegistry)) notes.push('this registry keeps no audit trail: registrations only; promotions and rollbacks come from the workflows');

  let workflowEvents: TimelineEvent[] = [];
  let runs = 0;
  if (sources.temporal) {
    const read = await workflowRunsTimeline(sources.temporal, model);
    workflowEvents = read.events;
    runs = read.runs;
    notes.push(...read.notes);
  } else {
    notes.push('workflow histories left out: Temporal is not reachable');
  }

  let gatewayEvents: TimelineEvent[] = [];
  let gatewaySource = 'gateway';
  try {
    const read = await readRouteChanges(model, sources.gateway);
    gatewayEvents = routeChangeEvents(read.changes);
    gatewaySource = read.source;
  } catch (err) {
    notes.push(`gateway route changes left out: ${(err as Error).message}`);
  }

  if (!inRegistry && runs === 0 && gatewayEvents.length === 0) {
    throw new UnknownModelError(`unknown model "${model}": not in the registry, no workflow runs and no gateway route changes${known.length ? ` (models in the registry: ${known.sort().join(', ')})` : ''}`);
  }

  const all = mergeTimeline(registryEvents, workflowEvents, gatewayEvents);
  const history: ModelHistory = { model, events: options.since ? eventsSince(all, options.since) : all, notes };
  if (options.since) history.since = options.since.toISOString();
  if (options.at) {
    // The gateway's journal is the record of what served; workflow reports stand in only without one.
    const fromGateway = all.filter((event) => event.kind === 'traffic' && event.sources.includes('gateway'));
    history.trafficAt = fromGateway.length > 0 ? { ...trafficAt(fromGateway, options.at), source: gatewaySource } : { ...trafficAt(all, options.at), source: 'workflow histories (the gateway recorded no route change)' };
  }
  return history;
}
