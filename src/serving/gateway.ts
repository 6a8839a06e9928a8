/**
 * The traffic gateway: splits a model's inference traffic between its versions by weight,
 * logs every prediction, takes labels, and reports per-version numbers for canary analysis.
 * Its API is gateway-contract.ts; the pieces are wired here and live in their own files.
 */
import Fastify from 'fastify';
import { FeedbackIndex, type FeedbackIndexLimits } from './feedback-index.js';
import { LabelLog } from './feedback-log.js';
import { feedbackRoutes } from './feedback-routes.js';
import { adminRoutes } from './gateway-admin-routes.js';
import { GatewayMetrics } from './gateway-metrics.js';
import { servingRoutes } from './gateway-serving-routes.js';
import { Gauge } from 'prom-client';
import type { BlobStore } from '../storage/blob-store.js';
import { KPI_LOG_DIRECTORY, KpiLog } from './kpi-log.js';
import { LogUploader, type LogUploadCounters } from './log-upload.js';
import { UpstreamPools, type UpstreamLimits } from './gateway-upstreams.js';
import { PredictionLog, SHADOW_PREDICTIONS_DIRECTORY } from './prediction-log.js';
import { RouteTableStore } from './route-table-store.js';
import { WindowStats } from './window-stats.js';

export interface GatewayOptions extends UpstreamLimits {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port (see the returned `port`). */
  port?: number;
  /** Holds gateway/routes.json, predictions/, labels/ and kpis/. */
  dataDir: string;
  /**
   * Where this replica keeps gateway/routes.json, when not in `dataDir`: replicas may share one log
   * directory (each names its own files), but each keeps its own route table.
   */
  stateDir?: string;
  adminToken: string;
  /** Prediction and label log: flush at least this often (default 1000 ms) ... */
  flushIntervalMs?: number;
  /** ... or as soon as this many rows wait (default 10 000). */
  flushRows?: number;
  /** Log rows kept while writing falls behind; the oldest beyond this are dropped (default 10 × flushRows). */
  maxBufferedRows?: number;
  feedbackIndex?: FeedbackIndexLimits;
  /** Largest inference body accepted (default 32 MiB). */
  bodyLimitBytes?: number;
  /** Epoch ms, fractional allowed; the clock of timestamps, latencies and windows (tests inject one). */
  now?: () => number;
  /** Where log write failures go (default console.error). */
  onError?: (error: unknown) => void;
  /**
   * The object store the logs are uploaded to as they are written (log-upload.ts), so workers on
   * other hosts read them: the same store as the pipelines' `storage`.
   */
  logStore?: BlobStore;
  /** At start, upload what the logs of this far back lack in the store (a killed predecessor's files); default 48 h. */
  resumeUploadsForMs?: number;
}

export interface RunningGateway {
  url: string;
  port: number;
  /** Stops taking requests, finishes those in flight, flushes both logs. */
  close(): Promise<void>;
}

const preciseNow = () => performance.timeOrigin + performance.now();

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  if (!options.adminToken) throw new Error('startGateway: adminToken must not be empty');
  const now = options.now ?? preciseNow;
  const startedAt = now();
  const onError = options.onError ?? ((error: unknown) => console.error(`gateway: ${(error as Error).message ?? String(error)}`));
  const uploader = options.logStore ? new LogUploader(options.logStore, options.dataDir, onError) : undefined;
  const logLimits = {
    flushIntervalMs: options.flushIntervalMs, flushRows: options.flushRows, maxBufferedRows: options.maxBufferedRows, now, onError,
    ...(uploader ? { onFile: (file: string) => uploader.enqueue(file) } : {}),
  };

  const predictionLog = new PredictionLog({ dataDir: options.dataDir, ...logLimits });
  const shadowLog = new PredictionLog({ dataDir: options.dataDir, directory: SHADOW_PREDICTIONS_DIRECTORY, ...logLimits });
  const labelLog = new LabelLog({ dataDir: options.dataDir, ...logLimits });
  const kpiLog = new KpiLog({ dataDir: options.dataDir, ...logLimits });
  await Promise.all([predictionLog.open(), shadowLog.open(), labelLog.open(), kpiLog.open()]);
  if (uploader) {
    // A predecessor killed with uploads pending (or that did not outlive a store outage) left its
    // last files only on this disk; the drift checks on other hosts would never see them.
    const logs = ['predictions', SHADOW_PREDICTIONS_DIRECTORY, 'labels', KPI_LOG_DIRECTORY];
    void uploader.resume(logs, startedAt - (options.resumeUploadsForMs ?? 48 * 3_600_000), startedAt).catch(onError);
  }
  const metrics = new GatewayMetrics(() => ({ predictions: predictionLog.stats, labels: labelLog.stats, kpis: kpiLog.stats }));
  if (uploader) {
    const gauges: Array<[string, string, keyof LogUploadCounters]> = [
      ['mlops_gateway_log_upload_pending_files', 'Log files written but not yet in the object store', 'pending'],
      ['mlops_gateway_log_upload_resumed_files', 'Log files found at start that an earlier run wrote and the object store lacked', 'resumed'],
      ['mlops_gateway_log_upload_vanished_files', 'Log files removed from the disk before they were uploaded (dropped, not retried)', 'vanished'],
    ];
    for (const [name, help, counter] of gauges) {
      new Gauge({ name, help, registers: [metrics.registry], collect() { this.set(uploader.counters[counter]); } });
    }
  }
  const stats = new WindowStats();
  const feedbackIndex = new FeedbackIndex(options.feedbackIndex);
  const upstreams = new UpstreamPools(options);
  const routes = await RouteTableStore.open(options.stateDir ?? options.dataDir, (table) => {
    metrics.setRouteWeights(table);
    upstreams.track(table);
  }, onError);
  let closing = false;

  const app = Fastify({ logger: false, forceCloseConnections: 'idle', return503OnClosing: true });
  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    return reply.code(status).send({ error: error.message });
  });
  const sinks = { stats, metrics, feedbackIndex, predictionLog, onError };
  await app.register(servingRoutes, { routes, upstreams, sinks, shadowSinks: { predictionLog: shadowLog, onError }, now, bodyLimit: options.bodyLimitBytes ?? 32 * 1024 * 1024, isReady: () => !closing });
  await app.register(feedbackRoutes, { index: feedbackIndex, labels: labelLog, kpiLog, stats, metrics, now });
  await app.register(adminRoutes, {
    adminToken: options.adminToken,
    routes,
    modelStats: (model, windowSeconds, completeOnly, slowerThanMs) =>
      stats.summarize(model, windowSeconds, now(), routes.get(model)?.routes.map((route) => route.version), completeOnly, slowerThanMs),
  });
  app.get('/metrics', async (_request, reply) => reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics()));

  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const host = options.host ?? '127.0.0.1';
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    async close() {
      closing = true;
      await app.close();
      await Promise.all([predictionLog.close(), shadowLog.close(), labelLog.close(), kpiLog.close(), upstreams.close()]);
      // The last flush's files too: a replica stopped for good must not keep its last second to itself.
      await uploader?.settle();
    },
  };
}
