/**
 * Approval gates (deploy.approval) as Temporal Updates: a rollout waits for a named person before
 * live traffic moves and/or before promotion, alerts while it waits, keeps monitoring (a hard
 * limit still rolls back), and refuses an Update when nothing waits, with a readable reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { startCanaryHarness, type CanaryHarness } from '../support/canary-harness.js';
import { approvalUpdate, canaryStatusQuery } from '../../src/temporal/contract.js';

let h: CanaryHarness;
beforeAll(async () => {
  h = await startCanaryHarness('approval');
});
afterAll(async () => {
  await h?.close();
});

/** The message the workflow's validator gave for a refused Update. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    return ((err as WorkflowUpdateFailedError).cause as Error).message;
  }
  throw new Error('the Update was accepted');
}

describe('approval gates', () => {
  it('waits after the last step, alerts, keeps checking, refuses stray Updates, and promotes only on approve', async () => {
    const { champion, candidate } = await h.modelWithChampion('gate-promote');
    const definition = h.definition('gate-promote', { approval: { beforePromotion: true, timeout: '1h' } });
    const { handle, result } = await h.rollout({ definition, canaryVersion: candidate, championVersion: champion });
    await h.env.run(async () => {
      const analysing = await h.waitForStatus(handle, (s) => s.phase === 'analysing');
      expect(await refusal(handle.executeUpdate(approvalUpdate, { args: [{ decision: 'approve', by: 'alice' }] }))).toMatch(
        new RegExp(`nothing waits for approval: gate-promote v${candidate} is (analysing|deploying)`),
      );
      expect(analysing.approval).toBeUndefined();
      const waiting = await h.waitForStatus(handle, (s) => s.phase === 'awaiting-approval', 60_000);
      expect(waiting).toMatchObject({ weight: 60, approval: { gate: 'before-promotion', onTimeout: 'reject' } });
      // The alert goes out as the gate opens (delivered by an activity: poll for it).
      const approvalAlerts = async () => (await h.alerts()).filter((a) => a.model === 'gate-promote' && a.kind === 'canary-approval');
      for (let i = 0; i < 100 && (await approvalAlerts()).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await approvalAlerts()).toMatchObject([{ summary: expect.stringContaining('waits for approval at 60% before promotion: mlops canary approve|reject gate-promote') }]);
      // Monitoring goes on while it waits.
      const monitored = await h.waitForStatus(handle, (s) => (s.approval?.checks ?? 0) >= 2, 20_000);
      expect(monitored.approval!.lastCheck).toMatchObject({ verdict: expect.stringMatching(/pass|inconclusive/) });
      expect((await h.registryState('gate-promote')).champion).toBe(champion);
      expect(await refusal(handle.executeUpdate(approvalUpdate, { args: [{ decision: 'approve', by: ' ' }] }))).toMatch(/by: expected the name of who decides/);
      expect(await refusal(handle.executeUpdate(approvalUpdate, { args: [{ decision: 'maybe' as 'approve', by: 'alice' }] }))).toMatch(/decision: expected "approve" or "reject", got "maybe"/);
      const answer = await handle.executeUpdate(approvalUpdate, { args: [{ decision: 'approve', by: 'alice', reason: 'dashboards look fine' }] });
      expect(answer).toEqual({ gate: 'before-promotion', decision: 'approve', by: 'alice' });
      expect(await result).toMatchObject({ result: 'promoted', version: candidate });
    });
    expect((await h.registryState('gate-promote')).champion).toBe(candidate);
    const events = (await handle.query(canaryStatusQuery)).events.map((e) => e.message);
    expect(events).toContain('approved at before-promotion by alice: dashboards look fine');
    // After the outcome the run is closed: Temporal itself refuses the Update.
    await expect(handle.executeUpdate(approvalUpdate, { args: [{ decision: 'reject', by: 'bob' }] })).rejects.toThrow(/already completed/);
  });

  it('rolls back on a hard-limit breach while waiting, without anyone answering', async () => {
    const { champion, candidate } = await h.modelWithChampion('gate-breach');
    const definition = h.definition('gate-breach', { approval: { beforePromotion: true, timeout: '1h' } });
    const { handle, result } = await h.rollout({ definition, canaryVersion: candidate, championVersion: champion });
    const outcome = await h.env.run(async () => {
      await h.waitForStatus(handle, (s) => s.phase === 'awaiting-approval', 60_000);
      // The canary's backend dies while the gate waits: every canary request fails at the gateway.
      await h.admin.addVersion('gate-breach', candidate, 'http://127.0.0.1:9');
      return result;
    });
    expect(outcome.result).toBe('rolled-back');
    expect(outcome.reason).toMatch(/hard limit.*\(while awaiting approval\)/);
    expect(await h.weights('gate-breach')).toEqual([[champion, 100]]);
    expect((await h.registryState('gate-breach')).champion).toBe(champion);
  });

  it('before the canary: no live traffic moves until approved, and a reject rolls back at 0%', async () => {
    const { champion, candidate } = await h.modelWithChampion('gate-canary');
    const definition = h.definition('gate-canary', { approval: { beforeCanary: true } });
    const { handle, result } = await h.rollout({ definition, canaryVersion: candidate, championVersion: champion });
    const outcome = await h.env.run(async () => {
      const waiting = await h.waitForStatus(handle, (s) => s.phase === 'awaiting-approval');
      expect(waiting).toMatchObject({ weight: 0, approval: { gate: 'before-canary', onTimeout: 'reject' } });
      expect(Object.fromEntries(await h.weights('gate-canary'))[candidate] ?? 0).toBe(0);
      await handle.executeUpdate(approvalUpdate, { args: [{ decision: 'reject', by: 'bob', reason: 'not this week' }] });
      return result;
    });
    expect(outcome).toMatchObject({ result: 'rolled-back', reason: 'rejected at before-canary by bob: not this week' });
    expect((await handle.query(canaryStatusQuery)).analysis.history).toEqual([]);
    expect((await h.registryState('gate-canary')).versions.find((v) => v.version === candidate)).toMatchObject({ status: 'rejected' });
  });

  it('applies onTimeout when nobody answers: proceed carries on to the canary and promotes', async () => {
    const { champion, candidate } = await h.modelWithChampion('gate-timeout');
    const proceed = h.definition('gate-timeout', { approval: { beforeCanary: true, timeout: '2s', onTimeout: 'proceed' } });
    const first = await h.rollout({ definition: proceed, canaryVersion: candidate, championVersion: champion });
    const outcome = await h.env.run(() => first.result);
    expect(outcome.result).toBe('promoted');
    expect((await first.handle.query(canaryStatusQuery)).events.map((e) => e.message)).toContain('approved at before-canary by timeout after 2s');
  });

  it('a gate that waits across continue-as-new keeps its deadline: onTimeout applies on time, not a run later', async () => {
    const { champion, candidate } = await h.modelWithChampion('gate-long');
    const definition = h.definition('gate-long', { approval: { beforePromotion: true, timeout: '8s', onTimeout: 'proceed' } });
    // A new run every few checks, in the steps and at the gate, as a days-long wait gets every few thousand events.
    const { handle, result } = await h.rollout({ definition, canaryVersion: candidate, championVersion: champion, continueAsNewAfterEvents: 40 });
    const { waiting, outcome } = await h.env.run(async () => {
      const waiting = await h.waitForStatus(handle, (s) => s.phase === 'awaiting-approval', 60_000);
      return { waiting, outcome: await result };
    });
    expect(outcome).toMatchObject({ result: 'promoted', version: candidate });
    const final = await handle.query(canaryStatusQuery);
    const timedOut = final.events.find((e) => e.message === 'approved at before-promotion by timeout after 8s');
    expect(timedOut, JSON.stringify(final.events.map((e) => e.message))).toBeDefined();
    // Decided at the deadline set when the gate opened, across the runs in between (a deadline
    // reset by each run would never come: a new run starts every few seconds).
    expect(Date.parse(timedOut!.at) - Date.parse(waiting.approval!.deadline)).toBeLessThan(10_000);
    expect(Date.parse(timedOut!.at)).toBeGreaterThanOrEqual(Date.parse(waiting.approval!.deadline));
    expect(await h.runs(handle), 'the rollout continued as new').toBeGreaterThanOrEqual(3);
    expect((await h.alerts()).filter((a) => a.model === 'gate-long' && a.kind === 'canary-approval')).toHaveLength(1);
  });
});
