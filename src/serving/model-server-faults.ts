/**
 * Fault injection, for demos and drills only (the pipeline definition's `deploy.faults`): a
 * version deployed with faults answers some inference requests with 500 and answers all of
 * them late, so a canary rollout can be watched rolling back. Health, metadata and /metrics
 * are never affected, so the version still deploys and reports.
 *
 * Each inference request first waits `addedLatencyMs`, then fails with probability
 * `errorRate`, drawn independently per request from Math.random — or from a seeded mulberry32
 * stream when `seed` is given, for a reproducible sequence of failures. With `durationMs`
 * the faults last only that long after the server starts (a transient incident), then stop.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { mulberry32 } from '../data/seeded-random.js';

export interface FaultOptions {
  /** Share of inference requests answered with 500 `injected fault`, 0..1. */
  errorRate: number;
  /** Delay added before every inference answer, in milliseconds. */
  addedLatencyMs: number;
  /** Faults only for requests arriving this long after start; for the server's whole life when absent. */
  durationMs?: number;
  /** Seed for the failure draws; Math.random when absent. */
  seed?: number;
}

export const INJECTED_FAULT_MESSAGE = 'injected fault';

export interface FaultInjector {
  /** Waits the added latency; resolves true when this request must fail. */
  apply(): Promise<boolean>;
}

export function createFaultInjector(faults: FaultOptions | undefined): FaultInjector | undefined {
  if (faults === undefined) return undefined;
  const { errorRate, addedLatencyMs, durationMs } = faults;
  if (!(errorRate >= 0 && errorRate <= 1)) throw new RangeError(`faults.errorRate must be between 0 and 1, got ${errorRate}`);
  if (!(addedLatencyMs >= 0 && Number.isFinite(addedLatencyMs))) throw new RangeError(`faults.addedLatencyMs must be a finite number ≥ 0, got ${addedLatencyMs}`);
  if (durationMs !== undefined && !(durationMs >= 0)) throw new RangeError(`faults.durationMs must be a number ≥ 0, got ${durationMs}`);
  if (errorRate === 0 && addedLatencyMs === 0) return undefined;
  const random = faults.seed === undefined ? Math.random : mulberry32(faults.seed);
  const endsAt = durationMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + durationMs;
  return {
    async apply() {
      if (performance.now() >= endsAt) return false;
      if (addedLatencyMs > 0) await sleep(addedLatencyMs);
      return errorRate > 0 && random() < errorRate;
    },
  };
}
