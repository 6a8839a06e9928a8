import { describe, expect, it } from 'vitest';
import { ReplayGuard } from '../../../src/triggers/replay-guard.js';

describe('ReplayGuard', () => {
  it('refuses an id it accepted, and one being handled right now', () => {
    const guard = new ReplayGuard({ ttlMs: 600_000, maxIds: 100 });
    expect(guard.claim('msg_1')).toBe(true);
    expect(guard.claim('msg_1')).toBe(false); // in flight
    guard.confirm('msg_1');
    expect(guard.claim('msg_1')).toBe(false);
  });

  it('lets the sender retry an id whose delivery failed', () => {
    const guard = new ReplayGuard({ ttlMs: 600_000, maxIds: 100 });
    expect(guard.claim('msg_2')).toBe(true);
    guard.release('msg_2');
    expect(guard.claim('msg_2')).toBe(true);
  });

  it('forgets ids after the TTL (their timestamps would be refused as stale by then)', () => {
    let now = 1_000_000;
    const guard = new ReplayGuard({ ttlMs: 600_000, maxIds: 100, now: () => now });
    guard.claim('old');
    guard.confirm('old');
    now += 300_000;
    guard.claim('newer');
    guard.confirm('newer');
    now += 300_001;
    expect(guard.claim('old')).toBe(true);
    expect(guard.claim('newer')).toBe(false);
    expect(guard.size).toBe(1);
  });

  it('keeps at most maxIds, dropping the oldest', () => {
    const guard = new ReplayGuard({ ttlMs: 600_000, maxIds: 3 });
    for (const id of ['a', 'b', 'c', 'd']) {
      guard.claim(id);
      guard.confirm(id);
    }
    expect(guard.size).toBe(3);
    expect(guard.claim('a')).toBe(true);
    expect(guard.claim('d')).toBe(false);
  });
});
