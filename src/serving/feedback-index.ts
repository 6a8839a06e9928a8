/**
 * Recent predictions by request id, so a label arriving later can be scored against what the
 * serving version predicted. Bounded by count and age: a Map keeps insertion order, so the
 * oldest entries are the first keys and eviction is O(1).
 */
export interface IndexedPrediction {
  model: string;
  version: number;
  /** score ≥ 0.5 */
  predicted: 0 | 1;
  timestampMs: number;
  /** A second label for the same prediction answers `matched` but is not counted again. */
  labeled: boolean;
  /** KPIs already counted for this prediction (each once, like the label); absent until the first. */
  kpis?: string[];
}

export interface FeedbackIndexLimits {
  /** Default 200 000 predictions (about 40 MB). */
  maxEntries?: number;
  /** Default 24 h. */
  maxAgeMs?: number;
}

export const POSITIVE_THRESHOLD = 0.5;

export class FeedbackIndex {
  private readonly entries = new Map<string, IndexedPrediction>();
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;

  constructor(limits: FeedbackIndexLimits = {}) {
    this.maxEntries = limits.maxEntries ?? 200_000;
    this.maxAgeMs = limits.maxAgeMs ?? 24 * 3600_000;
  }

  remember(requestId: string, model: string, version: number, score: number, timestampMs: number): void {
    this.entries.delete(requestId);
    this.entries.set(requestId, { model, version, predicted: score >= POSITIVE_THRESHOLD ? 1 : 0, timestampMs, labeled: false });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  /** The prediction a label refers to, if it is still remembered and belongs to `model`. */
  find(model: string, requestId: string, nowMs: number): IndexedPrediction | undefined {
    this.evictOlderThan(nowMs - this.maxAgeMs);
    const entry = this.entries.get(requestId);
    return entry?.model === model ? entry : undefined;
  }

  get size(): number {
    return this.entries.size;
  }

  private evictOlderThan(cutoffMs: number): void {
    for (const [requestId, entry] of this.entries) {
      if (entry.timestampMs >= cutoffMs) return;
      this.entries.delete(requestId);
    }
  }
}
