import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sortFloat64 } from '../../../src/drift/sort-float64.js';

describe('sortFloat64', () => {
  // Invariant: the same array, element for element (−0 before +0), as the built-in comparison sort.
  it('orders any finite doubles exactly as Float64Array.prototype.sort does', () => {
    const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(fc.array(fc.oneof(finite, fc.constantFrom(0, -0, Number.MIN_VALUE, -Number.MAX_VALUE, 1e-300)), { minLength: 4096, maxLength: 6000 }), (values) => {
        const ours = sortFloat64(Float64Array.from(values));
        const reference = Float64Array.from(values).sort();
        expect(ours.every((value, i) => Object.is(value, reference[i]))).toBe(true);
      }),
      { numRuns: 200, seed: 20261203 },
    );
  });

  it('sorts small arrays too, in place', () => {
    const values = Float64Array.from([3, -1, 0, -0, 2.5]);
    expect(sortFloat64(values)).toBe(values);
    expect([...values].map((v) => Object.is(v, -0) ? '-0' : String(v))).toEqual(['-1', '-0', '0', '2.5', '3']);
  });
});
