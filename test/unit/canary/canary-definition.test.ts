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

  it('takes KPI bounds and an experiment, and names the line of a bad KPI name or a target without the gateway', () => {
    const text = definition('    sla:\n      kpis:\n        clicked: { maxRelativeDrop: 0.05 }', '  experiment: { duration: 2h, kpis: [clicked, revenue] }');
    const { deploy } = parseDefinitionText(text).definition;
    expect(deploy!.canary.sla.kpis).toEqual({ clicked: { maxRelativeDrop: 0.05, alpha: 0.05 } });
    expect(deploy!.experiment).toEqual({ percent: 50, duration: '2h', kpis: ['clicked', 'revenue'], alpha: 0.05, decisionTimeout: '24h', onTimeout: 'reject' });
    expect(() => parseDefinitionText(definition('    sla:\n      kpis:\n        Clicks: { maxRelativeDrop: 0.05 }'), 'p.yaml')).toThrow(/deploy\.canary\.sla\.kpis\.Clicks: expected a KPI name \(lower-case letters, digits and _, at most 40, starting with a letter\), got "Clicks"/);
    expect(() => parseDefinitionText(definition('    sla:\n      kpis:\n        clicked: { maxRelativeDrop: 1.5 }'))).toThrow(/deploy\.canary\.sla\.kpis\.clicked\.maxRelativeDrop/);
    const cost = parseDefinitionText(definition('    sla:\n      kpis:\n        refunded: { maxRelativeRise: 0.1, alpha: 0.01 }')).definition.deploy!.canary.sla.kpis;
    expect(cost).toEqual({ refunded: { maxRelativeRise: 0.1, alpha: 0.01 } });
    for (const bound of ['{ alpha: 0.05 }', '{ maxRelativeDrop: 0.05, maxRelativeRise: 0.1 }']) {
      expect(() => parseDefinitionText(definition(`    sla:\n      kpis:\n        refunded: ${bound}`), 'p.yaml'), bound).toThrow(/deploy\.canary\.sla\.kpis\.refunded: expected exactly one of maxRelativeDrop \(higher is better.*\) or maxRelativeRise \(lower is better/);
    }
    expect(() => parseDefinitionText(definition('    sla:\n      kpis:\n        refunded: { maxRelativeRise: -0.1 }'))).toThrow(/deploy\.canary\.sla\.kpis\.refunded\.maxRelativeRise: expected a number between 0 and 100, got -0\.1/);
    expect(() => parseDefinitionText(definition('    slaWindow: 15m', '  experiment: { kpis: [] }'))).toThrow(/deploy\.experiment\.kpis: expected at least one KPI to compare/);
    expect(() => parseDefinitionText(definition('    slaWindow: 15m', '  experiment: { percent: 100, kpis: [clicked] }'))).toThrow(/deploy\.experiment\.percent/);
    const kserve = `${text}\n  target: kserve\n  kubernetes: { namespace: ml, kserve: { inferenceService: fraud } }`;
    expect(() => parseDefinitionText(kserve)).toThrow(/deploy\.experiment: business KPIs are fed back through the traffic gateway's feedback API: they need target local or container, not "kserve"/);
  });
});
