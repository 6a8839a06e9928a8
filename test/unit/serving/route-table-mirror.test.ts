import { describe, expect, it } from 'vitest';
import { emptyRouteTable, removeVersion, RouteTableError, setMirror, setWeights, upsertVersion } from '../../../src/serving/route-table.js';

const now = new Date('2026-12-04T00:00:00Z');
const base = setWeights(upsertVersion(upsertVersion(emptyRouteTable('m', now), 1, 'http://a', now), 2, 'http://b', now), { 1: 100 }, undefined, now);

describe('route table: shadow traffic (mirror)', () => {
  it('mirrors to a routed version, keeps it across weight changes, and drops it with the version', () => {
    const mirrored = setMirror(base, { version: 2, percent: 25 }, now);
    expect(mirrored.mirror).toEqual({ version: 2, percent: 25 });
    expect(mirrored.revision).toBe(base.revision + 1);
    expect(setMirror(mirrored, { version: 2, percent: 25 }, now)).toBe(mirrored); // the same again: no new revision
    expect(setWeights(mirrored, { 1: 90, 2: 10 }, undefined, now).mirror).toEqual({ version: 2, percent: 25 });
    const off = setMirror(mirrored, null, now);
    expect(off.mirror).toBeUndefined();
    expect(setMirror(off, null, now)).toBe(off);
    expect(removeVersion(mirrored, 2, now).mirror).toBeUndefined();
  });

  it('refuses an unknown version and a share outside 1..100, naming them', () => {
    expect(() => setMirror(base, { version: 3, percent: 10 }, now)).toThrow(new RouteTableError(404, 'model "m" has no version 3 to mirror to'));
    expect(() => setMirror(base, { version: 2, percent: 0 }, now)).toThrow(/mirror.percent: expected an integer 1..100, got 0/);
    expect(() => setMirror(base, { version: 2, percent: 12.5 }, now)).toThrow(/got 12.5/);
  });
});
