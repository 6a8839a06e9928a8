/**
 * Remembers webhook ids so a replayed delivery is refused (409). Memory is bounded twice: an id
 * is kept only while its timestamp could still pass the tolerance check (2 × tolerance, after
 * which the signature check refuses it anyway), and at most `maxIds` are kept (the oldest go
 * first). Not persisted: after a restart, or past the cap, a replay is still harmless because
 * the run's workflow id is the data version (REJECT_DUPLICATE), so it never starts a second run.
 */
export class ReplayGuard {
  /** id → expiry (epoch ms); Map order is confirm order, so also expiry order (every id lives equally long). */
  private readonly seen = new Map<string, number>();
  private readonly inFlight = new Set<string>();

  constructor(private readonly options: { ttlMs: number; maxIds: number; now?: () => number }) {}

  /** False when the id was accepted before (or is being handled now); true reserves it. */
  claim(id: string): boolean {
    this.prune();
    if (this.seen.has(id) || this.inFlight.has(id)) return false;
    this.inFlight.add(id);
    return true;
  }

  /** The delivery was handled: its id now counts as seen. */
  confirm(id: string): void {
    this.inFlight.delete(id);
    this.seen.set(id, this.now() + this.options.ttlMs);
    while (this.seen.size > this.options.maxIds) this.seen.delete(this.seen.keys().next().value as string);
  }

  /** The delivery failed (e.g. Temporal unavailable): the sender may retry with the same id. */
  release(id: string): void {
    this.inFlight.delete(id);
  }

  get size(): number {
    return this.seen.size;
  }

  private prune(): void {
    const now = this.now();
    for (const [id, expires] of this.seen) {
      if (expires > now) break;
      this.seen.delete(id);
    }
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}
