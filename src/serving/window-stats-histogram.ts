/**
 * A sparse log-bucketed latency histogram (the DDSketch idea): bucket i holds values in
 * (γ^(i-1), γ^i] with γ = (1+α)/(1-α), and a quantile answers the bucket's midpoint
 * 2γ^i/(γ+1), which is within α of every value in the bucket. α = 0.5 % keeps the answer
 * within 1 % of the exact nearest-rank quantile even after rounding.
 */
const RELATIVE_ACCURACY = 0.005;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
/** Latencies at or below this (ms) share bucket MIN_INDEX; the gateway cannot time finer anyway. */
const MIN_VALUE_MS = 0.001;
const MIN_INDEX = Math.ceil(Math.log(MIN_VALUE_MS) / LOG_GAMMA);

export class LatencyHistogram {
  /** bucket index → count; a second of traffic fills a few dozen buckets at most. */
  readonly buckets = new Map<number, number>();
  count = 0;

  record(valueMs: number): void {
    const index = bucketIndex(valueMs);
    this.buckets.set(index, (this.buckets.get(index) ?? 0) + 1);
    this.count++;
  }

  /** A histogram from another's `buckets` entries (as a stats answer carries them). */
  static fromBuckets(entries: Iterable<readonly [number, number]>): LatencyHistogram {
    const histogram = new LatencyHistogram();
    for (const [index, count] of entries) {
      histogram.buckets.set(index, (histogram.buckets.get(index) ?? 0) + count);
      histogram.count += count;
    }
    return histogram;
  }

  merge(other: LatencyHistogram): void {
    for (const [index, count] of other.buckets) this.buckets.set(index, (this.buckets.get(index) ?? 0) + count);
    this.count += other.count;
  }

  /**
   * Values in buckets above the one `thresholdMs` falls in: "slower than the threshold" at the
   * histogram's resolution. Two versions counted this way against one threshold are counted
   * alike, which is what a comparison of their shares needs.
   */
  countAbove(thresholdMs: number): number {
    const limit = bucketIndex(thresholdMs);
    let above = 0;
    for (const [index, count] of this.buckets) if (index > limit) above += count;
    return above;
  }

  /** Nearest-rank quantile (the ⌈q·n⌉-th smallest value), or null when empty. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.count));
    const indexes = [...this.buckets.keys()].sort((a, b) => a - b);
    let seen = 0;
    for (const index of indexes) {
      seen += this.buckets.get(index)!;
      if (seen >= rank) return (2 * GAMMA ** index) / (GAMMA + 1);
    }
    return (2 * GAMMA ** indexes[indexes.length - 1]!) / (GAMMA + 1);
  }
}

function bucketIndex(valueMs: number): number {
  return valueMs <= MIN_VALUE_MS ? MIN_INDEX : Math.ceil(Math.log(valueMs) / LOG_GAMMA);
}
