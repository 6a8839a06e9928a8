import { describe, expect, it } from 'vitest';
import { WindowStats } from '../../../src/serving/window-stats.js';
import { LatencyHistogram } from '../../../src/serving/window-stats-histogram.js';
import { compileTrafficSplit, pickRoute, stableHash } from '../../../src/serving/traffic-split.js';
import { RouteTableError, emptyRouteTable, removeVersion, setWeights, upsertVersion } from '../../../src/serving/route-table.js';

/** Nearest-rank quantile of a sample, the definition the histogram approximates. */
function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

describe('latency histogram', () => {
  it('answers p50 and p99 within 1% of the exact values over spreads from microseconds to minutes', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const [low, high] of [[0.05, 2], [1, 1000], [5, 120_000]] as const) {
      const values = Array.from({ length: 5000 }, () => low * (high / low) ** random());
      const histogram = new LatencyHistogram();
      values.forEach((value) => histogram.record(value));
      for (const q of [0.5, 0.9, 0.99]) {
        const exact = exactQuantile(values, q);
        expect(Math.abs(histogram.quantile(q)! - exact) / exact, `q=${q} over ${low}..${high}`).toBeLessThanOrEqual(0.01);
      }
    }
  });

  it('is empty until something is recorded', () => {
    expect(new LatencyHistogram().quantile(0.5)).toBeNull();
  });
});

describe('window stats', () => {
  const t0 = Date.UTC(2025, 0, 1, 0, 0, 0);

  it('sums only the seconds inside the trailing window', () => {
    const stats = new WindowStats();
    for (let second = 0; second < 120; second++) {
      stats.recordRequest({ model: 'm', version: 1, timestampMs: t0 + second * 1000 + 500, latencyMs: second < 60 ? 100 : 10, isError: second % 10 === 0, scores: [0.2, 0.4] });
    }
    const last = stats.summarize('m', 60, t0 + 119_999).versions[0]!;
    expect(last).toMatchObject({ version: 1, requests: 60, errors: 6, errorRate: 0.1, meanScore: expect.closeTo(0.3, 10) });
    expect(last.latencyP99Ms).toBeCloseTo(10, 0);
    const all = stats.summarize('m', 3600, t0 + 119_999).versions[0]!;
    expect(all.requests).toBe(120);
    expect(all.latencyP50Ms).toBeCloseTo(10, 0);
    expect(all.latencyP99Ms).toBeCloseTo(100, 0);
  });

  it('forgets seconds older than an hour even when the ring slot is reused', () => {
    const stats = new WindowStats();
    stats.recordRequest({ model: 'm', version: 1, timestampMs: t0, latencyMs: 1, isError: false, scores: [] });
    stats.recordRequest({ model: 'm', version: 1, timestampMs: t0 + 3600_000, latencyMs: 1, isError: false, scores: [] });
    expect(stats.summarize('m', 3600, t0 + 3600_000).versions[0]!.requests).toBe(1);
  });

  it('lists routed versions without traffic with nulls', () => {
    const stats = new WindowStats();
    stats.recordLabel('m', 2, t0, true);
    stats.recordLabel('m', 2, t0, false);
    const summary = stats.summarize('m', 60, t0, [1, 2]);
    expect(summary.versions.map((v) => [v.version, v.requests, v.errorRate, v.latencyP50Ms, v.labeled, v.accuracy])).toEqual([
      [1, 0, null, null, 0, null],
      [2, 0, null, null, 2, 0.5],
    ]);
  });
});

describe('route table and traffic split', () => {
  const now = new Date(0);

  it('maps weights to slots and keys to stable slots', () => {
    let table = upsertVersion(upsertVersion(emptyRouteTable('m', now), 2, 'http://b', now), 1, 'http://a', now);
    expect(compileTrafficSplit(table).slots).toEqual([]);
    table = setWeights(table, { 1: 95, 2: 5 }, undefined, now);
    const split = compileTrafficSplit(table);
    expect(split.slots.filter((route) => route.version === 2)).toHaveLength(5);
    const key = 'customer-17';
    expect(pickRoute(split, key)).toBe(split.slots[stableHash(key) % 100]);
    // Raising the canary only moves keys onto it, never off it.
    const raised = compileTrafficSplit(setWeights(table, { 1: 75, 2: 25 }, undefined, now));
    for (let i = 0; i < 1000; i++) {
      if (pickRoute(split, `k${i}`)!.version === 2) expect(pickRoute(raised, `k${i}`)!.version).toBe(2);
    }
  });

  it('refuses bad changes with the status the admin API answers', () => {
    const table = setWeights(upsertVersion(emptyRouteTable('m', now), 1, 'http://a', now), { 1: 100 }, undefined, now);
    const refusal = (change: () => unknown) => {
      try {
        change();
      } catch (error) {
        return [(error as RouteTableError).status, (error as Error).message];
      }
      return undefined;
    };
    expect(refusal(() => removeVersion(table, 1, now))?.[0]).toBe(409);
    expect(refusal(() => removeVersion(table, 7, now))?.[0]).toBe(404);
    expect(refusal(() => setWeights(table, { 1: 100 }, table.revision - 1, now))?.[0]).toBe(409);
    expect(refusal(() => setWeights(table, { '01': 100 }, undefined, now))?.[0]).toBe(400);
    expect(setWeights(table, { 1: 100 }, table.revision, now)).toBe(table);
  });
});
