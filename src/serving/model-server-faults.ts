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
 * With `flap` they switch on for `onMs`, off for `offMs`, on again, from the server's start (a
 * flapping version: each failing stretch shorter than a canary window).
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
  /** Faults on for onMs, then off for offMs, repeating from start; always on when absent. */
  flap?: { onMs: number; offMs: number };
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
  const { flap } = faults;
  if (flap !== undefined && !(flap.onMs > 0 && flap.offMs > 0 && Number.isFinite(flap.onMs + flap.offMs))) {
    throw new RangeError(`faults.flap needs onMs and offMs > 0, got ${JSON.stringify(flap)}`);
  }
  if (errorRate === 0 && addedLatencyMs === 0) return undefined;
  const random = faults.seed === undefined ? Math.random : mulberry32(faults.seed);
  const startedAt = performance.now();
  const endsAt = durationMs === undefined ? Number.POSITIVE_INFINITY : startedAt + durationMs;
  const switchedOff = (now: number) => flap !== undefined && (now - startedAt) % (flap.onMs + flap.offMs) >= flap.onMs;
  return {
    async apply() {
      const now = performance.now();
      if (now >= endsAt || switchedOff(now)) return false;
      if (addedLatencyMs > 0) await sleep(addedLatencyMs);
      return errorRate > 0 && random() < errorRate;
    },
  };
}

/** "<on>/<off>" in milliseconds (the serve flag and the image's env var), e.g. "3000/2000". */
export function parseFlap(value: string, name: string): { onMs: number; offMs: number } {
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  if (!match || Number(match[1]) <= 0 || Number(match[2]) <= 0) throw new RangeError(`${name}: expected <on ms>/<off ms> with both > 0, e.g. 3000/2000, got ${JSON.stringify(value)}`);
  return { onMs: Number(match[1]), offMs: Number(match[2]) };
}
