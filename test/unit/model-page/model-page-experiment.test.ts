import { describe, expect, it } from 'vitest';
import { initialState } from '../../../src/canary/decide.js';
import { compareKpi } from '../../../src/canary/kpi-comparison.js';
import { renderModelPageHtml } from '../../../src/model-page/model-page-html.js';
import type { CanaryStatus } from '../../../src/temporal/canary-status.js';

describe('the model page of a running experiment', () => {
  it('shows the KPI report with each interval, escaped, and says a person decides once it ended', () => {
    const report = [compareKpi('clicked', { count: 3000, sum: 420, sumSquares: 420 }, { count: 3000, sum: 600, sumSquares: 600 }, 0.5, 0.05)];
    const status: CanaryStatus = {
      model: 'fraud-detector', canaryVersion: 7, championVersion: 6, phase: 'awaiting-approval', weight: 50, paused: false,
      analysis: initialState(), events: [],
      experiment: { percent: 50, startedAt: '2026-12-04T06:00:00.000Z', endsAt: '2026-12-04T07:00:00.000Z', checks: 60, report, finished: true },
    };
    const html = renderModelPageHtml({
      model: 'fraud-detector', generatedAt: '2026-12-04T07:00:05.000Z', versions: [],
      canaries: [{ workflowId: 'canary/fraud-detector/7/x', running: true, startedAt: '2026-12-04T05:59:00.000Z', status }],
    });
    expect(html).toContain('Experiment: 50% on the new version, ended, waiting for a decision, 60 checks');
    expect(html).toMatch(/<li>clicked: −30% \[−\d+(\.\d+)?%, −\d+(\.\d+)?%\] \(0\.14 vs 0\.2; difference -0\.06 /);
    expect(html).not.toMatch(/<script/i);
  });
});
