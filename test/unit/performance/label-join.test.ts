import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { joinLabelsByWindow, type JoinableLabel, type JoinablePrediction, type LabelJoinOptions } from '../../../src/performance/label-join.js';

const HOUR = 3_600_000;
const options: LabelJoinOptions = { windowMs: HOUR, asOfMs: 10 * HOUR, minLabels: 2, minLabelCoverage: 0.5 };

function prediction(requestId: string, timestamp: number, score: number | null = 0.7, version = 1): JoinablePrediction {
  return { requestId, timestamp, version, score };
}
function label(requestId: string, timestamp: number, value: 0 | 1): JoinableLabel {
  return { requestId, timestamp, label: value };
}

describe('joining predictions with labels by request id', () => {
  it('joins per version and window, oldest prediction first, with coverage and completeness', () => {
    const predictions = [prediction('b', 100, 0.2), prediction('a', 50, 0.9), prediction('c', 200, 0.4, 2), prediction('d', HOUR + 5, 0.5)];
    const labels = [label('a', 3 * HOUR, 1), label('b', 4 * HOUR, 0), label('c', 5 * HOUR, 1)];
    const { windows } = joinLabelsByWindow(predictions, labels, options);
    expect(windows.map((w) => [w.version, w.startMs, w.predictions.map((p) => p.requestId), w.labels, w.labelCoverage, w.complete])).toEqual([
      [1, 0, ['a', 'b'], [1, 0], 1, true],
      [2, 0, ['c'], [1], 1, false],
      [1, HOUR, ['d'], [null], 0, false],
    ]);
    expect(windows[1]!.incompleteBecause).toBe('1 labels < 2 needed');
    expect(windows[2]!.incompleteBecause).toBe('0 labels < 2 needed; label coverage 0.0% < 50.0% needed');
  });

  it('does not know a label that arrives after the check, and counts it once a later check sees it', () => {
    const predictions = [prediction('a', 10), prediction('b', 20)];
    const labels = [label('a', HOUR, 1), label('b', 30 * HOUR, 1)];
    const early = joinLabelsByWindow(predictions, labels, { ...options, asOfMs: 2 * HOUR });
    expect(early.windows[0]).toMatchObject({ labelled: 1, labelCoverage: 0.5, complete: false });
    expect(early.ignored.labelsNotYetArrived).toBe(1);
    const later = joinLabelsByWindow(predictions, labels, { ...options, asOfMs: 31 * HOUR });
    expect(later.windows[0]).toMatchObject({ labelled: 2, labelCoverage: 1, complete: true, labels: [1, 1] });
  });

  it('takes the last label to arrive when one comes twice, and 1 when two arrive in the same millisecond', () => {
    const predictions = [prediction('a', 10), prediction('b', 20)];
    const labels = [label('a', 2 * HOUR, 0), label('a', HOUR, 1), label('b', HOUR, 0), label('b', HOUR, 1)];
    const { windows, ignored } = joinLabelsByWindow(predictions, labels, options);
    expect(windows[0]!.labels).toEqual([0, 1]);
    expect(windows[0]!.labelled).toBe(2);
    expect(ignored.supersededLabels).toBe(2);
  });

  it('leaves a window open until it ends, whatever its labels', () => {
    const { windows } = joinLabelsByWindow([prediction('a', 10), prediction('b', 20)], [label('a', 30, 1), label('b', 40, 0)], { ...options, asOfMs: 50 });
    expect(windows[0]).toMatchObject({ closed: false, complete: false, incompleteBecause: 'the window has not ended' });
  });

  it('ignores failed predictions, labels of unknown requests, and keeps the last logged of a repeated request id', () => {
    const predictions = [prediction('a', 10, null), prediction('b', 20, 0.3, 1), prediction('b', 30, 0.8, 2)];
    const { windows, ignored } = joinLabelsByWindow(predictions, [label('a', 40, 1), label('b', 40, 1), label('zzz', 40, 1)], options);
    expect(windows).toHaveLength(1);
    expect(windows[0]).toMatchObject({ version: 2, predicted: 1, labels: [1] });
    expect(ignored).toEqual({ unscoredPredictions: 1, duplicatePredictions: 1, labelsNotYetArrived: 0, supersededLabels: 0, labelsForUnknownRequests: 2 });
  });
});

describe('properties of the join', () => {
  const requestId = fc.integer({ min: 0, max: 15 }).map((i) => `r${i}`);
  const predictionArbitrary = fc.record({
    requestId,
    timestamp: fc.integer({ min: 0, max: 8 * HOUR }),
    version: fc.integer({ min: 1, max: 2 }),
    score: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null, freq: 8 }),
  });
  const labelArbitrary = fc.record({ requestId, timestamp: fc.integer({ min: 0, max: 12 * HOUR }), label: fc.constantFrom(0 as const, 1 as const) });
  const optionsArbitrary = fc.record({
    windowMs: fc.constantFrom(HOUR, 2 * HOUR, 90 * 60_000),
    asOfMs: fc.integer({ min: 0, max: 12 * HOUR }),
    minLabels: fc.integer({ min: 0, max: 5 }),
    minLabelCoverage: fc.double({ min: 0, max: 1, noNaN: true }),
  });
  const permutation = <T>(items: T[]) => fc.shuffledSubarray(items, { minLength: items.length, maxLength: items.length });
  const inputs = fc.record({ predictions: fc.array(predictionArbitrary, { maxLength: 40 }), labels: fc.array(labelArbitrary, { maxLength: 40 }), options: optionsArbitrary });

  it('has label coverage in [0, 1], labelled <= predicted, and labels aligned with predictions', () => {
    fc.assert(
      fc.property(inputs, ({ predictions, labels, options: o }) => {
        for (const window of joinLabelsByWindow(predictions, labels, o).windows) {
          expect(window.labelCoverage).toBeGreaterThanOrEqual(0);
          expect(window.labelCoverage).toBeLessThanOrEqual(1);
          expect(window.labelled).toBeLessThanOrEqual(window.predicted);
          expect(window.labels).toHaveLength(window.predictions.length);
          expect(window.labelled).toBe(window.labels.filter((l) => l !== null).length);
          expect(window.complete).toBe(window.closed && window.labelled >= o.minLabels && window.labelCoverage >= o.minLabelCoverage);
        }
      }),
    );
  });

  it('never counts a request twice: each request id joins at most one window, with at most one label', () => {
    fc.assert(
      fc.property(inputs, ({ predictions, labels, options: o }) => {
        const ids = joinLabelsByWindow(predictions, labels, o).windows.flatMap((w) => w.predictions.map((p) => p.requestId));
        expect(new Set(ids).size).toBe(ids.length);
      }),
    );
  });

  it('gives the same windows when labels are delivered again (duplicates never double count)', () => {
    fc.assert(
      fc.property(inputs, fc.array(fc.nat(), { maxLength: 20 }), ({ predictions, labels, options: o }, picks) => {
        const again = labels.length === 0 ? [] : picks.map((pick) => labels[pick % labels.length]!);
        expect(joinLabelsByWindow(predictions, [...labels, ...again], o).windows).toEqual(joinLabelsByWindow(predictions, labels, o).windows);
      }),
    );
  });

  it('ignores labels for request ids it never predicted', () => {
    const strangers = fc.array(fc.record({ requestId: fc.integer({ min: 0, max: 99 }).map((i) => `unknown-${i}`), timestamp: fc.integer({ min: 0, max: 12 * HOUR }), label: fc.constantFrom(0 as const, 1 as const) }), { minLength: 1, maxLength: 10 });
    fc.assert(
      fc.property(inputs, strangers, ({ predictions, labels, options: o }, extra) => {
        const withStrangers = joinLabelsByWindow(predictions, [...labels, ...extra], o);
        expect(withStrangers.windows).toEqual(joinLabelsByWindow(predictions, labels, o).windows);
        expect(withStrangers.ignored.labelsForUnknownRequests).toBeGreaterThanOrEqual(extra.some((l) => l.timestamp <= o.asOfMs) ? 1 : 0);
      }),
    );
  });

  it('does not depend on the order predictions and labels arrive in', () => {
    const shuffled = inputs.chain((input) => fc.tuple(fc.constant(input), permutation(input.predictions), permutation(input.labels)));
    fc.assert(
      fc.property(shuffled, ([{ predictions, labels, options: o }, predictionsShuffled, labelsShuffled]) => {
        expect(joinLabelsByWindow(predictionsShuffled, labelsShuffled, o)).toEqual(joinLabelsByWindow(predictions, labels, o));
      }),
    );
  });
});
