/**
 * The rollout coordinator's decisions (src/temporal/rollout-slot-state.ts), driven as the workflow
 * drives them (each event, then the slot handed on), over random interleavings of requests with
 * every concurrency mode, releases, and pipelines that end without releasing. Invariants:
 * - one holder at most, never also waiting; nobody waits twice;
 * - no run is both granted and refused, and a refusal is sent once;
 * - `skip` on a busy slot is refused at once and never waits;
 * - after `supersede`, at most one run waits, and a holder at that moment is told to roll back;
 * - runs wait in arrival order;
 * - once every holder lets go, every run that asked has been granted or refused (nobody starves).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { admitRequest, grantNext, releaseSlot, type SlotEffect, type SlotState, type SlotStep } from '../../../src/temporal/rollout-slot-state.js';
import type { ConcurrencyMode, RolloutRequest } from '../../../src/temporal/lifecycle-status.js';

type Event = { kind: 'request'; concurrency: ConcurrencyMode } | { kind: 'release-holder' } | { kind: 'holder-gone' } | { kind: 'give-up'; index: number } | { kind: 'retry-holder' };

const event: fc.Arbitrary<Event> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('request' as const), concurrency: fc.constantFrom<ConcurrencyMode>('queue', 'skip', 'supersede') }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'release-holder' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'holder-gone' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('give-up' as const), index: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'retry-holder' as const }) },
);

function run(events: Event[]) {
  let state: SlotState = { holder: null, waiting: [] };
  const granted = new Set<string>();
  const refused = new Map<string, number>();
  const superseded: string[] = [];
  const arrival: string[] = [];
  let next = 0;
  const apply = (step: SlotStep): SlotEffect[] => {
    state = step.state;
    for (const effect of step.effects) {
      if (effect.kind === 'answer' && effect.answer.granted) granted.add(effect.pipelineWorkflowId);
      if (effect.kind === 'answer' && !effect.answer.granted) refused.set(effect.pipelineWorkflowId, (refused.get(effect.pipelineWorkflowId) ?? 0) + 1);
      if (effect.kind === 'supersede') superseded.push(effect.pipelineWorkflowId);
    }
    return step.effects;
  };
  const handOn = () => {
    while (!state.holder && state.waiting.length > 0) apply(grantNext(state, 'now'));
  };
  const checkShape = () => {
    const ids = state.waiting.map((request) => request.pipelineWorkflowId);
    expect(new Set(ids).size).toBe(ids.length);
    if (state.holder) expect(ids).not.toContain(state.holder.pipelineWorkflowId);
    // Waiting in arrival order.
    const positions = ids.map((id) => arrival.indexOf(id));
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  };

  for (const e of events) {
    if (e.kind === 'request') {
      const request: RolloutRequest = { pipelineWorkflowId: `p${next++}`, version: next, concurrency: e.concurrency, requestedAt: 'now' };
      arrival.push(request.pipelineWorkflowId);
      const before = state;
      const busy = before.holder !== null || before.waiting.length > 0;
      const effects = apply(admitRequest(state, request));
      if (busy && e.concurrency === 'skip') {
        expect(refused.get(request.pipelineWorkflowId)).toBe(1);
        expect(state.waiting.map((r) => r.pipelineWorkflowId)).not.toContain(request.pipelineWorkflowId);
      }
      if (e.concurrency === 'supersede') {
        expect(state.waiting.length).toBeLessThanOrEqual(1);
        if (before.holder) expect(effects).toContainEqual({ kind: 'supersede', pipelineWorkflowId: before.holder.pipelineWorkflowId, by: request.pipelineWorkflowId });
      }
    } else if (e.kind === 'release-holder' && state.holder) {
      apply(releaseSlot(state, state.holder.pipelineWorkflowId));
    } else if (e.kind === 'holder-gone' && state.holder) {
      apply(releaseSlot(state, state.holder.pipelineWorkflowId, true));
    } else if (e.kind === 'give-up' && state.waiting.length > 0) {
      const leaving = state.waiting[e.index % state.waiting.length]!.pipelineWorkflowId;
      apply(releaseSlot(state, leaving));
      refused.set(leaving, refused.get(leaving) ?? 0); // it ended on its own: counts as answered
    } else if (e.kind === 'retry-holder' && state.holder) {
      // A retried request from the holder is answered with a grant again, nothing else changes.
      const holder = state.holder;
      const effects = apply(admitRequest(state, { ...holder }));
      expect(effects).toEqual([{ kind: 'answer', pipelineWorkflowId: holder.pipelineWorkflowId, answer: { granted: true } }]);
    }
    handOn();
    checkShape();
  }
  // Everyone lets go in turn: nobody starves.
  while (state.holder) {
    apply(releaseSlot(state, state.holder.pipelineWorkflowId));
    handOn();
    checkShape();
  }
  return { granted, refused, arrival, superseded };
}

describe('the rollout slot decisions', () => {
  it('keep one holder, answer each run once, and let nobody starve', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 60 }), (events) => {
        const { granted, refused, arrival } = run(events);
        for (const id of arrival) {
          expect(granted.has(id) && refused.has(id), `${id} granted and refused`).toBe(false);
          expect(granted.has(id) || refused.has(id), `${id} never answered`).toBe(true);
          expect(refused.get(id) ?? 0).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('queue: runs are granted in arrival order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), (count) => {
        const { granted, arrival } = run([...Array.from({ length: count }, () => ({ kind: 'request', concurrency: 'queue' }) as Event)]);
        expect([...granted]).toEqual(arrival);
      }),
    );
  });
});
