import { describe, expect, it } from 'vitest';
import { compareErrorRates, DEFAULT_PRIOR_CONCENTRATION, logBayesFactor } from '../../../src/canary/error-rate-test.js';
import { bayesFactors, scenarioNamed } from './canary-fixtures.js';

describe('logBayesFactor', () => {
  it.each(bayesFactors.cases)('Nc $nc, Ns $ns, ρ $rho, Beta($a, $b): equals the exact value to 1e-12', ({ nc, ns, rho, a, b, exact }) => {
    expect(Math.abs(logBayesFactor(nc, ns, rho, a, b) - exact)).toBeLessThanOrEqual(1e-12);
  });

  it.each(bayesFactors.cases)('Nc $nc, Ns $ns, ρ $rho, Beta($a, $b): equals the scipy formula to 1e-9', ({ nc, ns, rho, a, b, scipy }) => {
    expect(Math.abs(logBayesFactor(nc, ns, rho, a, b) - scipy)).toBeLessThanOrEqual(1e-9);
  });
});

describe('compareErrorRates', () => {
  it('uses the prior the fixtures were made with', () => {
    expect(DEFAULT_PRIOR_CONCENTRATION).toBe(bayesFactors.priorConcentration);
  });

  it.each(bayesFactors.scenarios)('$name: Bayes factor of the observed split and the centred prior equals the reference', (scenario) => {
    const comparison = compareErrorRates({
      canaryRequests: scenario.canary.requests, canaryErrors: scenario.canary.errors,
      championRequests: scenario.champion.requests, championErrors: scenario.champion.errors,
    });
    expect(comparison).not.toBeNull();
    expect(comparison!.canaryShare).toBeCloseTo(scenario.rho, 15);
    expect(Math.abs(comparison!.logBayesFactor - scenario.exact)).toBeLessThanOrEqual(1e-12);
    expect(comparison!.bayesFactor / scenario.bayesFactor).toBeCloseTo(1, 8);
  });

  it('reproduces the known example: 15 minutes at 5% of 100 req/s cannot tell 0.2% from 0.1% (BF about 1.4)', () => {
    const { bayesFactor } = scenarioNamed('15m at 5% of 100 req/s');
    expect(bayesFactor).toBeGreaterThan(1.3);
    expect(bayesFactor).toBeLessThan(1.5);
  });

  it('is decisive (≥ 100) for the same doubling at 1,000 req/s within 7 minutes, not at 6', () => {
    expect(scenarioNamed('6m at 5% of 1000 req/s').bayesFactor).toBeLessThan(100);
    expect(scenarioNamed('7m at 5% of 1000 req/s').bayesFactor).toBeGreaterThanOrEqual(100);
  });

  it.each([
    { canaryRequests: 0, championRequests: 100 },
    { canaryRequests: 100, championRequests: 0 },
  ])('is null without requests on both sides ($canaryRequests vs $championRequests)', ({ canaryRequests, championRequests }) => {
    expect(compareErrorRates({ canaryRequests, canaryErrors: 0, championRequests, championErrors: 0 })).toBeNull();
  });

  it('caps an overflowing Bayes factor so the state stays JSON', () => {
    const comparison = compareErrorRates({ canaryRequests: 1e6, canaryErrors: 1e5, championRequests: 1e6, championErrors: 10 });
    expect(comparison!.logBayesFactor).toBeGreaterThan(1000);
    expect(comparison!.bayesFactor).toBe(Number.MAX_VALUE);
    expect(JSON.parse(JSON.stringify(comparison))).toEqual(comparison);
  });
});
