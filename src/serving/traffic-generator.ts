/**
 * Realistic traffic for demos and drills: rows of a dataset sent through the gateway at a
 * steady rate, with the true label fed back later for a share of them (delayed labels), and
 * optionally a business KPI for every answered request (a click with a set probability, lower by
 * a set share on the newest version: a challenger that hurts the business).
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import type { Table } from '../data/table.js';
import { REQUEST_ID_HEADER, SERVED_VERSION_HEADER } from './gateway-contract.js';

export interface TrafficOptions {
  gatewayUrl: string;
  model: string;
  table: Table;
  /** Columns to send; the rest (label, ids) stay behind. */
  features: string[];
  target: string;
  requestsPerSecond: number;
  durationMs: number;
  /** Share of requests whose label is sent to the feedback API, after `labelDelayMs`. */
  labelShare: number;
  labelDelayMs: number;
  /**
   * A 0/1 KPI fed back with every answered request: 1 with probability `rate`, or
   * `rate × (1 − challengerDrop)` on the newest version once two versions have answered.
   */
  kpi?: { name: string; rate: number; challengerDrop?: number };
  signal?: AbortSignal;
  onProgress?: (stats: TrafficStats) => void;
}

export interface TrafficStats {
  sent: number;
  byVersion: Record<string, { ok: number; errors: number }>;
  failed: number;
  labelsSent: number;
  kpisSent: number;
}

export async function sendTraffic(options: TrafficOptions): Promise<TrafficStats> {
  const { table, model } = options;
  const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 10_000 });
  const stats: TrafficStats = { sent: 0, byVersion: {}, failed: 0, labelsSent: 0, kpisSent: 0 };
  const versionsSeen = new Set<number>();
  const columns = options.features.map((name) => {
    const column = table.columns.find((c) => c.name === name);
    if (!column) throw new Error(`column "${name}" is not in the traffic dataset`);
    return column;
  });
  const label = table.columns.find((c) => c.name === options.target);
  const started = Date.now();
  // Every label waiting for its delay listens to the stop signal: thousands at 100 req/s, not a leak.
  if (options.signal) setMaxListeners(0, options.signal);
  const pending = new Set<Promise<void>>();
  let row = 0;
  let lastProgress = started;
  while (Date.now() - started < options.durationMs && !options.signal?.aborted) {
    const due = Math.floor(((Date.now() - started) / 1000) * options.requestsPerSecond);
    while (stats.sent < due) {
      const r = row++ % table.rowCount;
      const inputs = columns.map((c) =>
        c.kind === 'numeric'
          ? { name: c.name, shape: [1], datatype: 'FP64', data: [Number.isNaN(c.values[r]!) ? null : c.values[r]] }
          : { name: c.name, shape: [1], datatype: 'BYTES', data: [c.codes[r]! < 0 ? null : c.dictionary[c.codes[r]!]] },
      );
      const truth = label?.kind === 'numeric' ? label.values[r]! : undefined;
      stats.sent++;
      const job = send(inputs, truth).finally(() => pending.delete(job));
      pending.add(job);
    }
    if (options.onProgress && Date.now() - lastProgress >= 1000) {
      lastProgress = Date.now();
      options.onProgress(stats);
    }
    await sleep(Math.max(1, Math.min(20, 1000 / options.requestsPerSecond)));
  }
  await Promise.allSettled([...pending]);
  await dispatcher.close();
  return stats;

  function kpiRate(kpi: NonNullable<TrafficOptions['kpi']>, version: number): number {
    const newest = Math.max(...versionsSeen);
    return versionsSeen.size >= 2 && version === newest ? kpi.rate * (1 - (kpi.challengerDrop ?? 0)) : kpi.rate;
  }

  async function send(inputs: unknown[], truth: number | undefined): Promise<void> {
    try {
      const response = await request(`${options.gatewayUrl}/v2/models/${encodeURIComponent(model)}/infer`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs }),
      });
      await response.body.dump();
      const version = String(response.headers[SERVED_VERSION_HEADER] ?? '?');
      if (Number.isInteger(Number(version))) versionsSeen.add(Number(version));
      const bucket = (stats.byVersion[version] ??= { ok: 0, errors: 0 });
      if (response.statusCode >= 500) bucket.errors++;
      else bucket.ok++;
      const requestId = response.headers[REQUEST_ID_HEADER];
      if (typeof requestId !== 'string' || response.statusCode >= 300) return;
      const withLabel = truth !== undefined && Math.random() < options.labelShare;
      const kpis = options.kpi ? { [options.kpi.name]: Math.random() < kpiRate(options.kpi, Number(version)) ? 1 : 0 } : undefined;
      if (!withLabel && !kpis) return;
      // Stopping drops the feedback still waiting for its delay, instead of waiting it out.
      const waited = await sleep(options.labelDelayMs, true, options.signal ? { signal: options.signal } : undefined).catch(() => false);
      if (!waited) return;
      const feedback = await request(`${options.gatewayUrl}/v2/models/${encodeURIComponent(model)}/feedback`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ request_id: requestId, ...(withLabel ? { label: truth } : {}), ...(kpis ? { kpis } : {}) }),
      });
      await feedback.body.dump();
      if (withLabel) stats.labelsSent++;
      if (kpis) stats.kpisSent++;
    } catch {
      stats.failed++;
    }
  }
}
