import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeModelStats } from '../../../src/metrics/merge-model-stats.js';
import { WindowStats, type RequestOutcome } from '../../../src/serving/window-stats.js';

const t0 = Date.UTC(2026, 0, 1);

/** Scores on a 1/1024 grid: their sums are exact in any order, so "equal" can mean bit for bit. */
const outcome = fc.record({
  version: fc.integer({ min: 1, max: 3 }),
  offsetMs: fc.integer({ min: 0, max: 59_999 }),
  latencyMs: fc.double({ min: 0.01, max: 5_000, noNaN: true }),
  isError: fc.boolean(),
  scores: fc.array(fc.integer({ min: 0, max: 1024 }).map((n) => n / 1024), { maxLength: 3 }),
  replica: fc.nat(),
  label: fc.option(fc.boolean(), { nil: undefined }),
});

describe('stats of several gateway replicas, added up', () => {
  it('equal the stats of one gateway that carried all their traffic (counts, rates, p50, p99, slower-than, mean score)', () => {
    // Invariant: for any traffic and any way a load balancer spreads it over k replicas, merging the
    // replicas' answers gives exactly the single gateway's answer.
    fc.assert(
      fc.property(fc.array(outcome, { maxLength: 300 }), fc.integer({ min: 1, max: 4 }), fc.constantFrom(undefined, 5, 250), (requests, k, slowerThanMs) => {
        const all = new WindowStats();
        const replicas = Array.from({ length: k }, () => new WindowStats());
        for (const request of requests) {
          const recorded: RequestOutcome = { model: 'm', version: request.version, timestampMs: t0 + request.offsetMs, latencyMs: request.latencyMs, isError: request.isError, scores: request.isError ? [] : request.scores };
          const replica = replicas[request.replica % k]!;
          for (const stats of [all, replica]) {
            stats.recordRequest(recorded);
            if (request.label !== undefined) stats.recordLabel('m', request.version, t0 + request.offsetMs, request.label);
          }
        }
        const now = t0 + 60_000;
        const merged = mergeModelStats(replicas.map((stats, i) => ({ url: `http://replica-${i}`, stats: stats.summarize('m', 60, now, [1], true, slowerThanMs) })));
        const single = all.summarize('m', 60, now, [1], true, slowerThanMs);
        expect(merged.versions).toEqual(single.versions);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses to add up an answer without its sums (an older gateway) instead of averaging percentiles', () => {
    const stats = new WindowStats();
    stats.recordRequest({ model: 'm', version: 1, timestampMs: t0, latencyMs: 3, isError: false, scores: [0.5] });
    const answer = stats.summarize('m', 60, t0 + 2000, [], true);
    const { mergeable: _dropped, ...old } = answer.versions[0]!;
    expect(() => mergeModelStats([{ url: 'http://a', stats: answer }, { url: 'http://old', stats: { ...answer, versions: [old] } }])).toThrow(
      /gateway replica http:\/\/old answers v1's stats without their sums \(mergeable\): it runs an older gateway/,
    );
  });
});
