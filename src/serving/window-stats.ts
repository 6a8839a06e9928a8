/**
 * Per-version traffic numbers over a trailing window, kept as one slot per second for the last
 * hour (a ring indexed by epoch second), so any window up to an hour is a sum over its slots.
 * Labels count in the second their feedback arrived: a canary window sees the labels that
 * came in during it.
 */
import type { KpiSums, ModelStats, VersionStats } from './gateway-contract.js';
import { LatencyHistogram } from './window-stats-histogram.js';

export const MAX_WINDOW_SECONDS = 3600;

class SecondSlot {
  second = -1;
  requests = 0;
  errors = 0;
  scoreSum = 0;
  scoreCount = 0;
  labeled = 0;
  correct = 0;
  latency = new LatencyHistogram();
  /** Created with the first KPI of the second: most seconds of most models have none. */
  kpis: Map<string, KpiSums> | undefined;

  resetTo(second: number): void {
    this.second = second;
    this.requests = this.errors = this.scoreSum = this.scoreCount = this.labeled = this.correct = 0;
    this.latency = new LatencyHistogram();
    this.kpis = undefined;
  }
}

class VersionWindow {
  private readonly slots: (SecondSlot | undefined)[] = new Array(MAX_WINDOW_SECONDS);

  slotFor(epochMs: number): SecondSlot {
    const second = Math.floor(epochMs / 1000);
    const index = second % MAX_WINDOW_SECONDS;
    const slot = (this.slots[index] ??= new SecondSlot());
    if (slot.second !== second) slot.resetTo(second);
    return slot;
  }

  /**
   * `completeOnly` leaves out the second in progress: the window is then exactly `windowSeconds`
   * whole seconds, so windows asked for every `windowSeconds` neither overlap nor read a partial slot.
   */
  summarize(version: number, windowSeconds: number, nowMs: number, completeOnly = false, slowerThanMs?: number): VersionStats {
    const last = Math.floor(nowMs / 1000) - (completeOnly ? 1 : 0);
    const first = last - windowSeconds + 1;
    const latency = new LatencyHistogram();
    let requests = 0, errors = 0, scoreSum = 0, scoreCount = 0, labeled = 0, correct = 0;
    const kpis: Record<string, KpiSums> = {};
    for (const slot of this.slots) {
      if (!slot || slot.second < first || slot.second > last) continue;
      requests += slot.requests;
      errors += slot.errors;
      scoreSum += slot.scoreSum;
      scoreCount += slot.scoreCount;
      labeled += slot.labeled;
      correct += slot.correct;
      latency.merge(slot.latency);
      for (const [name, sums] of slot.kpis ?? []) {
        const total = (kpis[name] ??= { count: 0, sum: 0, sumSquares: 0 });
        total.count += sums.count;
        total.sum += sums.sum;
        total.sumSquares += sums.sumSquares;
      }
    }
    return {
      version,
      requests,
      errors,
      errorRate: requests > 0 ? errors / requests : null,
      latencyP50Ms: latency.quantile(0.5),
      latencyP99Ms: latency.quantile(0.99),
      meanScore: scoreCount > 0 ? scoreSum / scoreCount : null,
      labeled,
      correct,
      accuracy: labeled > 0 ? correct / labeled : null,
      ...(slowerThanMs !== undefined ? { slowerThan: { thresholdMs: slowerThanMs, requests: latency.countAbove(slowerThanMs) } } : {}),
      mergeable: { latencyBuckets: [...latency.buckets].sort((a, b) => a[0] - b[0]), scoreSum, scoreCount },
      ...(Object.keys(kpis).length > 0 ? { kpis } : {}),
    };
  }
}

const EMPTY_WINDOW = new VersionWindow();

export interface RequestOutcome {
  model: string;
  version: number;
  timestampMs: number;
  latencyMs: number;
  isError: boolean;
  /** One per row; empty on error. */
  scores: readonly number[];
}

export class WindowStats {
  private readonly models = new Map<string, Map<number, VersionWindow>>();

  recordRequest(outcome: RequestOutcome): void {
    const slot = this.window(outcome.model, outcome.version).slotFor(outcome.timestampMs);
    slot.requests++;
    if (outcome.isError) slot.errors++;
    slot.latency.record(outcome.latencyMs);
    for (const score of outcome.scores) {
      slot.scoreSum += score;
      slot.scoreCount++;
    }
  }

  recordLabel(model: string, version: number, timestampMs: number, correct: boolean): void {
    const slot = this.window(model, version).slotFor(timestampMs);
    slot.labeled++;
    if (correct) slot.correct++;
  }

  recordKpi(model: string, version: number, timestampMs: number, name: string, value: number): void {
    const slot = this.window(model, version).slotFor(timestampMs);
    const sums = (slot.kpis ??= new Map()).get(name) ?? { count: 0, sum: 0, sumSquares: 0 };
    sums.count++;
    sums.sum += value;
    sums.sumSquares += value * value;
    slot.kpis.set(name, sums);
  }

  /** Every version with a window plus `routedVersions`, in version order; nulls where nothing was seen. */
  summarize(model: string, windowSeconds: number, nowMs: number, routedVersions: readonly number[] = [], completeOnly = false, slowerThanMs?: number): ModelStats {
    const windows = this.models.get(model) ?? new Map<number, VersionWindow>();
    const versions = [...new Set([...windows.keys(), ...routedVersions])].sort((a, b) => a - b);
    return {
      model,
      windowSeconds,
      asOf: new Date(completeOnly ? Math.floor(nowMs / 1000) * 1000 : nowMs).toISOString(),
      versions: versions.map((version) => (windows.get(version) ?? EMPTY_WINDOW).summarize(version, windowSeconds, nowMs, completeOnly, slowerThanMs)),
    };
  }

  private window(model: string, version: number): VersionWindow {
    let versions = this.models.get(model);
    if (!versions) this.models.set(model, (versions = new Map()));
    let window = versions.get(version);
    if (!window) versions.set(version, (window = new VersionWindow()));
    return window;
  }
}
