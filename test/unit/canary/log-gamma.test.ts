import { describe, expect, it } from 'vitest';
import { logBeta, logGamma } from '../../../src/canary/log-gamma.js';
import { bayesFactors, relativeError, specialFunctions } from './canary-fixtures.js';

/** scipy's float64 answer counts as a reference only where it is itself this close to the exact value. */
const SCIPY_TRUSTED = 1e-13;

describe('logGamma', () => {
  it.each(specialFunctions.gammaln)('ln Γ($x) equals the exact value to 1e-13 relative', ({ x, exact }) => {
    expect(relativeError(logGamma(x), exact)).toBeLessThanOrEqual(1e-13);
  });

  it.each(specialFunctions.gammaln.filter(({ scipy, exact }) => relativeError(scipy, exact) <= SCIPY_TRUSTED))(
    'ln Γ($x) equals scipy.special.gammaln to 1e-12 relative',
    ({ x, scipy }) => {
      expect(relativeError(logGamma(x), scipy)).toBeLessThanOrEqual(1e-12);
    },
  );

  it('is exactly 0 at its roots 1 and 2, and keeps its sign next to them', () => {
    expect(logGamma(1)).toBe(0);
    expect(logGamma(2)).toBe(0);
    expect(logGamma(1 + 1e-12)).toBeLessThan(0);
    expect(logGamma(2 - 1e-12)).toBeLessThan(0);
    expect(logGamma(2 + 1e-12)).toBeGreaterThan(0);
  });

  it('matches ln((n − 1)!) on whole numbers', () => {
    let logFactorial = 0;
    for (let n = 1; n <= 30; n++) {
      expect(relativeError(logGamma(n), logFactorial)).toBeLessThanOrEqual(1e-14);
      logFactorial += Math.log(n);
    }
  });

  it.each([0, -1, -0.5, Number.NaN])('is NaN at %s (only x > 0 is supported)', (x) => {
    expect(logGamma(x)).toBeNaN();
  });
});

describe('logBeta', () => {
  it.each(specialFunctions.betaln)('ln B($a, $b) equals the exact value to 1e-13 relative', ({ a, b, exact }) => {
    expect(relativeError(logBeta(a, b), exact)).toBeLessThanOrEqual(1e-13);
  });

  it.each(specialFunctions.betaln.filter(({ scipy, exact }) => relativeError(scipy, exact) <= SCIPY_TRUSTED))(
    'ln B($a, $b) equals scipy.special.betaln to 1e-12 relative',
    ({ a, b, scipy }) => {
      expect(relativeError(logBeta(a, b), scipy)).toBeLessThanOrEqual(1e-12);
    },
  );

  it('is symmetric', () => {
    expect(logBeta(0.05, 1e5)).toBe(logBeta(1e5, 0.05));
  });

  it.each([[0, 1], [1, 0], [-1, 2]])('is NaN at (%s, %s)', (a, b) => {
    expect(logBeta(a, b)).toBeNaN();
  });
});

describe('the fixtures', () => {
  it('were made by the reference script with scipy and mpmath', () => {
    expect(Object.keys(specialFunctions.versions)).toEqual(expect.arrayContaining(['scipy', 'mpmath']));
    expect(Object.keys(bayesFactors.versions)).toEqual(expect.arrayContaining(['scipy', 'mpmath']));
    expect(specialFunctions.gammaln.length).toBeGreaterThan(100);
    expect(specialFunctions.betaln.length).toBeGreaterThan(150);
  });
});
