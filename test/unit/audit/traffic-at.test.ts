import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { trafficAt } from '../../../src/audit/traffic-at.js';
import { trafficEvent } from '../../../src/audit/merge-timeline.js';
import { parseTimeArgument, TimeArgumentError } from '../../../src/audit/time-argument.js';

const BASE = Date.UTC(2026, 11, 1);

/** A gateway's history: revisions increase, times never go back, weights sum to 100 (or all 0 before the first split). */
const changes = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 100 }), fc.boolean()), { minLength: 1, maxLength: 30 })
  .map((steps) => {
    let time = BASE;
    return steps.map(([gap, canary, unweighted], index) => {
      time += gap;
      const weights = unweighted && index === 0 ? { 1: 0, 2: 0 } : { 1: 100 - canary, 2: canary };
      return trafficEvent({ time: new Date(time).toISOString(), weights, revision: index + 1, sources: ['gateway'] });
    });
  });

describe('trafficAt', () => {
  it('answers the split of the last change at or before T (the higher revision on a tie); before the first, says none is recorded', () => {
    fc.assert(
      fc.property(changes, fc.integer({ min: -1_000, max: 160_000 }), (events, offset) => {
        const at = new Date(BASE + offset);
        const answer = trafficAt([...events].reverse(), at);
        const applicable = events.filter((event) => Date.parse(event.time) <= at.getTime());
        if (applicable.length === 0) {
          expect(answer).toEqual({ at: at.toISOString(), recorded: false, firstChangeAt: events[0]!.time });
          return;
        }
        const expected = applicable.at(-1)!;
        expect(answer.recorded).toBe(true);
        if (!answer.recorded) return;
        expect(answer.revision).toBe(expected.revision);
        expect(answer.weights).toEqual(expected.weights);
        const total = answer.serving.reduce((sum, entry) => sum + entry.weight, 0);
        expect(total === 100 || (total === 0 && answer.serving.length === 0)).toBe(true);
        expect(answer.serving.every((entry, index) => index === 0 || answer.serving[index - 1]!.weight >= entry.weight)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseTimeArgument', () => {
  const now = new Date('2026-12-03T12:00:00Z');
  it.each([
    ['2026-12-03T10:30:00Z', '2026-12-03T10:30:00.000Z'],
    ['2026-12-03', '2026-12-03T00:00:00.000Z'],
    ['2026-12-03T10:30:00.123456789Z', '2026-12-03T10:30:00.123Z'],
    ['2026-12-03T11:30:00+01:00', '2026-12-03T10:30:00.000Z'],
    ['2h', '2026-12-03T10:00:00.000Z'],
    ['90s', '2026-12-03T11:58:30.000Z'],
    ['1d', '2026-12-02T12:00:00.000Z'],
  ])('%s → %s', (value, expected) => {
    expect(parseTimeArgument('--at', value, now).toISOString()).toBe(expected);
  });

  it.each(['yesterday', '2h ago', '', '2026-13-45', '-2h'])('refuses %j naming the flag and the formats', (value) => {
    expect(() => parseTimeArgument('--since', value, now)).toThrow(TimeArgumentError);
    expect(() => parseTimeArgument('--since', value, now)).toThrow(/^--since: expected an ISO 8601 time .* or a time relative to now/);
  });
});
