/**
 * Business KPIs through the whole loop: the traffic generator feeds back a click per answer (the
 * challenger clicking less), the gateway sums it per version, the canary's KPI SLA rolls back on
 * anytime-valid evidence, and an experiment reports the difference with its interval and waits
 * for a person.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { startCanaryHarness, type CanaryHarness } from '../support/canary-harness.js';
import { approvalUpdate, canaryStatusQuery } from '../../src/temporal/contract.js';

let h: CanaryHarness;
beforeAll(async () => {
  h = await startCanaryHarness('kpis');
});
afterAll(async () => {
  await h?.close();
});

const kpiSla = { kpis: { clicked: { maxRelativeDrop: 0.1, alpha: 0.05 } } };
const sla = { errorRate: { max: 0.03 }, latencyP99Ms: { max: 1000 }, minSamples: 10, ...kpiSla };

describe('canary with a KPI SLA', () => {
  it('rolls back when the canary clicks 50% less than the champion (bound: 10%), before its window ends', async () => {
    const { champion, candidate } = await h.modelWithChampion('kpi-drop', 0);
    h.startTraffic('kpi-drop', 150, { name: 'clicked', rate: 0.3, challengerDrop: 0.5 });
    const definition = h.definition('kpi-drop', {}, { steps: [{ weight: 50 }], slaWindow: '60s', sla });
    const { handle, result } = await h.rollout({ definition, canaryVersion: candidate, championVersion: champion });
    const outcome = await h.env.run(() => result);
    expect(outcome.result).toBe('rolled-back');
    expect(outcome.reason).toMatch(/^decisive evidence against the canary: KPI clicked: −\d+(\.\d+)?% \[−\d+(\.\d+)?%, −\d+(\.\d+)?%\] .* vs champion: below the bound −10% over the step$/);
    const status = await handle.query(canaryStatusQuery);
    const step = status.analysis.history.at(-1)!;
    expect(step.endedAt - step.startedAt).toBeLessThan(60_000);
    expect(await h.weights('kpi-drop')).toEqual([[champion, 100]]);
    expect((await h.registryState('kpi-drop')).champion).toBe(champion);
  });

  it('promotes a canary that clicks as much as the champion', async () => {
    const { champion, candidate } = await h.modelWithChampion('kpi-same', 0);
    h.startTraffic('kpi-same', 150, { name: 'clicked', rate: 0.3, challengerDrop: 0 });
    const definition = h.definition('kpi-same', {}, { steps: [{ weight: 50 }], slaWindow: '6s', sla });
    const { handle, result } = await h.rollout({ definition, canaryVersion: candidate, championVersion: champion });
    expect(await h.env.run(() => result)).toMatchObject({ result: 'promoted', version: candidate });
    // The KPI was measured, not absent: the step's evidence holds both versions' clicks, at rates near 0.3.
    const { clicked } = (await handle.query(canaryStatusQuery)).analysis.kpiEvidence!;
    expect(clicked!.canary.count).toBeGreaterThan(100);
    expect(clicked!.champion.count).toBeGreaterThan(100);
    expect(clicked!.canary.sum / clicked!.canary.count).toBeGreaterThan(0.2);
    expect(clicked!.champion.sum / clicked!.champion.count).toBeGreaterThan(0.2);
  });
});

describe('experiment', () => {
  it('holds a fixed split, reports the KPI difference with its interval, never promotes on its own, and rolls back on reject', async () => {
    const { champion, candidate } = await h.modelWithChampion('kpi-experiment', 0);
    h.startTraffic('kpi-experiment', 200, { name: 'clicked', rate: 0.3, challengerDrop: 0.5 });
    const definition = h.definition('kpi-experiment', { experiment: { percent: 50, duration: '20s', kpis: ['clicked'], decisionTimeout: '1h' } });
    const { handle, result } = await h.rollout({ definition, canaryVersion: candidate, championVersion: champion });
    const outcome = await h.env.run(async () => {
      const running = await h.waitForStatus(handle, (s) => s.phase === 'experimenting' && (s.experiment?.checks ?? 0) >= 2);
      expect(running.weight).toBe(50);
      expect(Object.fromEntries(await h.weights('kpi-experiment'))).toEqual({ [champion]: 50, [candidate]: 50 });
      const stray = await handle.executeUpdate(approvalUpdate, { args: [{ decision: 'approve', by: 'alice' }] }).then(() => 'accepted', (err: WorkflowUpdateFailedError) => (err.cause as Error).message);
      expect(stray).toBe(`nothing waits for approval: kpi-experiment v${candidate} is experimenting`);

      const waiting = await h.waitForStatus(handle, (s) => s.phase === 'awaiting-approval', 60_000);
      expect(waiting.approval).toMatchObject({ gate: 'after-experiment', onTimeout: 'reject' });
      expect(waiting.experiment!.finished).toBe(true);
      const [clicked] = waiting.experiment!.report;
      expect(clicked!.withheld, JSON.stringify(clicked)).toBeNull();
      expect(clicked).toMatchObject({ kpi: 'clicked', share: 0.5 });
      // Throughput depends on the machine's load; the interval's width follows from what arrived.
      expect(clicked!.challenger.reports).toBeGreaterThan(300);
      expect(clicked!.champion.reports).toBeGreaterThan(300);
      // The true relative difference is −50%: the interval holds it and excludes 0. (At a single look
      // the 95% anytime-valid interval is about ±3.5 standard errors wide: a miss is ~1 in 2,000.)
      const [lo, hi] = clicked!.relativeInterval!;
      expect(lo!).toBeLessThan(-0.5);
      expect(hi!).toBeGreaterThan(-0.5);
      expect(hi!).toBeLessThan(0);
      // Still 50/50 and nobody promoted: the decision is a person's.
      expect(waiting.weight).toBe(50);
      expect((await h.registryState('kpi-experiment')).champion).toBe(champion);
      const alerts = (await h.alerts()).filter((a) => a.model === 'kpi-experiment' && a.kind === 'canary-approval');
      expect(alerts.at(-1)?.summary).toMatch(/waits for approval after its experiment \(clicked: −\d+(\.\d+)?% \[/);
      await handle.executeUpdate(approvalUpdate, { args: [{ decision: 'reject', by: 'carol', reason: 'clicks fell' }] });
      return result;
    });
    expect(outcome).toMatchObject({ result: 'rolled-back', reason: 'rejected at after-experiment by carol: clicks fell' });
    expect(await h.weights('kpi-experiment')).toEqual([[champion, 100]]);
    expect((await h.registryState('kpi-experiment')).versions.find((v) => v.version === candidate)).toMatchObject({ status: 'rejected' });
  });
});

describe('a long experiment (histories continue as new)', () => {
  it('keeps its split, clock and KPI sums across runs, waits at the gate across runs, and honours the decision', async () => {
    const { champion, candidate } = await h.modelWithChampion('kpi-long', 0);
    h.startTraffic('kpi-long', 200, { name: 'clicked', rate: 0.3, challengerDrop: 0.5 });
    const definition = h.definition('kpi-long', { experiment: { percent: 50, duration: '12s', kpis: ['clicked'], decisionTimeout: '1h' } });
    // A check takes ~10 events: a new run every few checks, as a week-long experiment gets every few thousand.
    const { handle, result } = await h.rollout({ definition, canaryVersion: candidate, championVersion: champion, continueAsNewAfterEvents: 40 });
    const outcome = await h.env.run(async () => {
      // Watch the report while the experiment runs: its report counts never fall, across runs too.
      const seen: number[] = [];
      await h.waitForStatus(handle, (s) => {
        if (s.phase === 'experimenting' && s.experiment?.report[0]) seen.push(s.experiment.report[0].challenger.reports);
        return s.phase === 'awaiting-approval';
      }, 60_000);
      expect(seen.length).toBeGreaterThan(5);
      expect(seen, 'KPI reports counted so far').toEqual([...seen].sort((a, b) => a - b));
      const waiting = await h.waitForStatus(handle, (s) => s.phase === 'awaiting-approval');
      const experimentRuns = await h.runs(handle);
      expect(experimentRuns, 'the experiment continued as new').toBeGreaterThanOrEqual(2);
      const experiment = waiting.experiment!;
      expect(experiment.finished).toBe(true);
      // Every check counted, whichever run made it (a loaded machine makes fewer than one a second).
      expect(experiment.checks).toBeGreaterThanOrEqual(4);
      // The sums behind the report came along: the report covers the reports of every run's checks.
      const [clicked] = experiment.report;
      expect(clicked!.withheld, JSON.stringify(clicked)).toBeNull();
      expect(clicked!.challenger.reports).toBe(experiment.sums!.clicked!.canary.count);
      expect(clicked!.champion.reports).toBe(experiment.sums!.clicked!.champion.count);
      const lastRun = waiting.events.filter((e) => e.message.startsWith('experiment continued in a new run after')).at(-1)!;
      const checksBefore = Number(/after (\d+) checks/.exec(lastRun.message)![1]);
      expect(checksBefore).toBeGreaterThan(0);
      expect(experiment.checks).toBeGreaterThan(checksBefore);
      expect(clicked!.challenger.mean!).toBeLessThan(clicked!.champion.mean!);
      expect(Object.fromEntries(await h.weights('kpi-long'))).toEqual({ [champion]: 50, [candidate]: 50 });
      // The gate keeps checking, and so keeps continuing as new, with its deadline unchanged.
      const later = await h.waitForStatus(handle, (s) => (s.approval?.checks ?? 0) >= 6, 30_000);
      expect(later.approval!.deadline).toBe(waiting.approval!.deadline);
      expect(await h.runs(handle)).toBeGreaterThan(experimentRuns);
      const alerts = (await h.alerts()).filter((a) => a.model === 'kpi-long' && a.kind === 'canary-approval');
      expect(alerts, 'one approval alert, not one per run').toHaveLength(1);
      await handle.executeUpdate(approvalUpdate, { args: [{ decision: 'reject', by: 'dave', reason: 'clicks fell' }] });
      return result;
    });
    expect(outcome).toMatchObject({ result: 'rolled-back', reason: 'rejected at after-experiment by dave: clicks fell' });
    expect(await h.weights('kpi-long')).toEqual([[champion, 100]]);
  });
});
