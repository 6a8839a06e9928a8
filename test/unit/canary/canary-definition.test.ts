import { describe, expect, it } from 'vitest';
import { parseDefinitionText } from '../../../src/spec/load.js';

const definition = (canary: string, faults = '') => `model: fraud
data: { source: data.csv, target: is_fraud }
deploy:
  canary:
${canary}
${faults}`;

describe('the canary section of a definition', () => {
  it('refuses a metricsWindow longer than the interval, naming the line: overlapping look-backs count requests twice', () => {
    expect(() => parseDefinitionText(definition('    interval: 1m\n    metricsWindow: 5m'), 'pipeline.yaml')).toThrow(
      'pipeline.yaml: invalid pipeline definition (1 problem)\n  - line 6: deploy.canary.metricsWindow: expected at most interval (1m), got 5m: longer look-backs count requests twice',
    );
    expect(parseDefinitionText(definition('    interval: 1m\n    metricsWindow: 30s')).definition.deploy!.canary.metricsWindow).toBe('30s');
  });

  it('fills the decision defaults a user can state in one sentence each', () => {
    const { canary } = parseDefinitionText(definition('    slaWindow: 15m')).definition.deploy!;
    expect(canary.failureLimit).toBeUndefined(); // Argo's count limit only when asked for
    expect(canary).toMatchObject({
      maxFailureShare: 0.5, minChecksWithEvidence: 2,
      hardLimits: { minRequests: 10 }, errorRateTest: { enabled: true, alpha: 0.01 }, latencyTest: { enabled: true, alpha: 0.01 },
    });
  });

  it('takes flapping drill faults, and refuses a flap without its off time', () => {
    const faults = parseDefinitionText(definition('    slaWindow: 15m', '  faults: { errorRate: 0.05, flap: { on: 3m, off: 2m } }')).definition.deploy!.faults;
    expect(faults).toMatchObject({ errorRate: 0.05, flap: { on: '3m', off: '2m' } });
    expect(() => parseDefinitionText(definition('    slaWindow: 15m', '  faults: { errorRate: 0.05, flap: { on: 3m } }'))).toThrow(/deploy\.faults\.flap\.off/);
  });
});
