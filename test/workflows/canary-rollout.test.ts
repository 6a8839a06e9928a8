import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { startCanaryHarness, type CanaryHarness } from '../support/canary-harness.js';
import { GATEWAY_TOKEN } from '../support/serving-stack.js';
import { abortSignal, approveSignal, canaryStatusQuery, pauseSignal, resumeSignal } from '../../src/temporal/contract.js';

let h: CanaryHarness;
beforeAll(async () => {
  h = await startCanaryHarness('canary');
});
afterAll(async () => {
  await h?.close();
});

const definition: CanaryHarness['definition'] = (...args) => h.definition(...args);
const rollout: CanaryHarness['rollout'] = (input) => h.rollout(input);
const modelWithChampion: CanaryHarness['modelWithChampion'] = (name, trafficPerSecond) => h.modelWithChampion(name, trafficPerSecond);
const waitForStatus: CanaryHarness['waitForStatus'] = (handle, predicate, timeoutMs) => h.waitForStatus(handle, predicate, timeoutMs);
const alerts = () => h.alerts();
const registryState = (model: string) => h.registryState(model);

/** Every string and payload byte of a history, decoded, for searching. */
function historyText(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map(historyText).join('\n');
  if (value && typeof value === 'object') return Object.values(value).map(historyText).join('\n');
  return typeof value === 'string' ? value : '';
}

describe('canaryRollout', () => {
  it('promotes a healthy challenger step by step; the status query shows the window mid-step', async () => {
    const { champion, candidate } = await modelWithChampion('promote');
    const { handle, result } = await rollout({ definition: definition('promote'), canaryVersion: candidate, championVersion: champion });
    await h.env.run(async () => {
      const mid = await waitForStatus(handle, (s) => s.phase === 'analysing' && s.analysis.checks.length >= 2);
      expect(mid.weight).toBe(30);
      expect(mid.windowRemainingMs).toBeGreaterThan(0);
      expect(mid.windowRemainingMs).toBeLessThanOrEqual(4000);
      expect(mid.analysis.checks.at(-1)).toMatchObject({ verdict: expect.stringMatching(/pass|inconclusive/) });
      expect((await h.admin.routes('promote'))!.routes.find((r) => r.version === candidate)?.weight).toBe(30);
      const outcome = await result;
      expect(outcome).toMatchObject({ result: 'promoted', version: candidate, championVersion: champion });
    });
    const routes = await h.admin.routes('promote');
    expect(Object.fromEntries(routes!.routes.map((r) => [r.version, r.weight]))).toEqual({ [champion]: 0, [candidate]: 100 });
    const state = await registryState('promote');
    expect(state.champion).toBe(candidate);
    expect(state.versions.find((v) => v.version === champion)?.status).toBe('archived');
    const final = await handle.query(canaryStatusQuery);
    expect(final.analysis.history.map((h) => h.weight)).toEqual([30, 60]);
    // The gateway token was used by every activity, yet history holds only its variable's name.
    const history = historyText(await handle.fetchHistory());
    expect(history).toContain('MLOPS_GATEWAY_TOKEN');
    expect(history).not.toContain(GATEWAY_TOKEN);
  });

  it('rolls back when the canary breaches the SLA for the whole window', async () => {
    const { champion, candidate } = await modelWithChampion('breach');
    const started = Date.now();
    // On a loaded machine a 4 s window may see too few requests to judge: extend rather than hold.
    const { handle, result } = await rollout({ definition: definition('breach', { faults: { errorRate: 0.12, addedLatencyMs: 0 } }, { onInsufficientEvidence: 'extend', maxExtensions: 5 }), canaryVersion: candidate, championVersion: champion });
    const outcome = await h.env.run(() => result);
    // MLOPS_RECORD_HISTORIES=1 refreshes the replay test's recorded history after a deliberate change.
    if (process.env.MLOPS_RECORD_HISTORIES) {
      await writeFile(path.join(import.meta.dirname, 'histories/canary-rollout-rolled-back.json'), historyToJSON(await handle.fetchHistory()));
    }
    expect(outcome.result).toBe('rolled-back');
    expect(outcome.reason).toMatch(/SLA breached for .* the whole 4s window|failure budget spent in the 4s window/);
    // Not before the failing evidence: two failing checks at least (minChecksWithEvidence), a second apart.
    expect(Date.now() - started).toBeGreaterThan(2000);
    const routes = await h.admin.routes('breach');
    expect(routes!.routes.map((r) => [r.version, r.weight])).toEqual([[champion, 100]]);
    const state = await registryState('breach');
    expect(state.champion).toBe(champion);
    expect(state.versions.find((v) => v.version === candidate)).toMatchObject({ status: 'rejected' });
    expect((await alerts()).filter((a) => a.model === 'breach' && a.kind === 'canary-rollback')).toHaveLength(1);
  });

  it('does not roll back on a breach shorter than the window', async () => {
    const { champion, candidate } = await modelWithChampion('blip');
    // Failing for about 3 of the first step's 10 checks: a minority, and never a whole window.
    const { handle, result } = await rollout({ definition: definition('blip', { faults: { errorRate: 0.12, addedLatencyMs: 0, duration: '3500ms' } }, { slaWindow: '10s' }), canaryVersion: candidate, championVersion: champion });
    const outcome = await h.env.run(() => result);
    expect(outcome.result).toBe('promoted');
    const status = await handle.query(canaryStatusQuery);
    expect(status.analysis.history.some((h) => h.counters.fail > 0)).toBe(true);
  });

  it('rolls back at once on a hard limit', async () => {
    const { champion, candidate } = await modelWithChampion('hard');
    const { handle, result } = await rollout({ definition: definition('hard', { faults: { errorRate: 0.7, addedLatencyMs: 0 } }), canaryVersion: candidate, championVersion: champion });
    const outcome = await h.env.run(() => result);
    expect(outcome.result).toBe('rolled-back');
    expect(outcome.reason).toMatch(/hard limit/);
    const status = await handle.query(canaryStatusQuery);
    expect(status.analysis.checks.filter((c) => c.hardLimit), JSON.stringify(status.events)).toHaveLength(1);
  });

  it('rolls back (fail-safe) when metrics stay unavailable for consecutiveErrorLimit checks', async () => {
    const { champion, candidate } = await modelWithChampion('no-metrics');
    const blind = definition('no-metrics', { metrics: { kind: 'prometheus', url: 'http://127.0.0.1:9' } });
    const { handle, result } = await rollout({ definition: blind, canaryVersion: candidate, championVersion: champion });
    const outcome = await h.env.run(() => result);
    expect(outcome.result).toBe('rolled-back');
    expect(outcome.reason).toMatch(/metrics/i);
    const status = await handle.query(canaryStatusQuery);
    expect(status.analysis.checks.map((c) => c.verdict)).toEqual(['error', 'error', 'error']);
    expect((await h.admin.routes('no-metrics'))!.routes.map((r) => [r.version, r.weight])).toEqual([[champion, 100]]);
  });

  it('holds and alerts when there are too few samples, and promotes when a human approves', async () => {
    const { champion, candidate } = await modelWithChampion('quiet', 0);
    const { handle, result } = await rollout({ definition: definition('quiet'), canaryVersion: candidate, championVersion: champion });
    await h.env.run(async () => {
      const held = await waitForStatus(handle, (s) => s.phase === 'holding');
      expect(held.analysis.checks.every((c) => c.verdict === 'inconclusive')).toBe(true);
      expect(held.weight).toBe(30);
      expect((await alerts()).some((a) => a.model === 'quiet' && a.kind === 'canary-held')).toBe(true);
      await handle.signal(approveSignal, { by: 'tester', reason: 'checked by hand' });
      expect(await result).toMatchObject({ result: 'promoted', reason: expect.stringMatching(/approved by tester/) });
    });
    expect((await registryState('quiet')).champion).toBe(candidate);
  });

  it('keeps monitoring a held canary: a hard limit crossed while holding rolls back without a human', async () => {
    const { champion, candidate } = await modelWithChampion('held-hard', 0);
    const { handle, result } = await rollout({ definition: definition('held-hard', { faults: { errorRate: 0.7, addedLatencyMs: 0 } }), canaryVersion: candidate, championVersion: champion });
    await h.env.run(async () => {
      await waitForStatus(handle, (s) => s.phase === 'holding');
      h.startTraffic('held-hard', 120);
      const outcome = await result;
      expect(outcome).toMatchObject({ result: 'rolled-back', reason: expect.stringMatching(/^hard limit: .* \(while holding\)$/) });
    });
    expect((await h.admin.routes('held-hard'))!.routes.map((r) => [r.version, r.weight])).toEqual([[champion, 100]]);
    expect((await alerts()).some((a) => a.model === 'held-hard' && a.kind === 'canary-rollback')).toBe(true);
  });

  it('does not roll back at once when a breach is paused and resumed: the pause is not breach time', async () => {
    const { champion, candidate } = await modelWithChampion('pause-breach');
    const { handle, result } = await rollout({ definition: definition('pause-breach', { faults: { errorRate: 0.12, addedLatencyMs: 0 } }, { slaWindow: '8s' }), canaryVersion: candidate, championVersion: champion });
    await h.env.run(async () => {
      await waitForStatus(handle, (s) => s.analysis.counters.fail >= 2);
      await handle.signal(pauseSignal, { by: 'tester' });
      await waitForStatus(handle, (s) => s.phase === 'paused');
      await sleep(9000); // longer than the window
      await handle.signal(resumeSignal, { by: 'tester' });
      const resumed = await waitForStatus(handle, (s) => s.phase !== 'paused');
      expect(resumed.outcome).toBeUndefined();
      const afterOneCheck = await waitForStatus(handle, (s) => s.analysis.checks.length > resumed.analysis.checks.length || s.outcome !== undefined);
      expect(afterOneCheck.outcome).toBeUndefined();
      await handle.signal(abortSignal, { by: 'tester' });
      // The abort, or (on a slow machine) the window's end with its budget spent: never the breach clock.
      expect(await result).toMatchObject({ result: 'rolled-back', reason: expect.stringMatching(/^(aborted by tester|failure budget spent in the 8s window: .*)$/) });
    });
  });

  it('aborts while analysing, rolling back at once', async () => {
    const { champion, candidate } = await modelWithChampion('abort-analysing');
    const { handle, result } = await rollout({ definition: definition('abort-analysing'), canaryVersion: candidate, championVersion: champion });
    await h.env.run(async () => {
      await waitForStatus(handle, (s) => s.phase === 'analysing');
      await handle.signal(abortSignal, { by: 'tester' });
      expect(await result).toMatchObject({ result: 'rolled-back', reason: 'aborted by tester' });
    });
    expect((await h.admin.routes('abort-analysing'))!.routes.map((r) => [r.version, r.weight])).toEqual([[champion, 100]]);
  });

  it('pauses with the window frozen, aborts while paused', async () => {
    const { champion, candidate } = await modelWithChampion('abort-paused');
    const { handle, result } = await rollout({ definition: definition('abort-paused'), canaryVersion: candidate, championVersion: champion });
    await h.env.run(async () => {
      await waitForStatus(handle, (s) => s.phase === 'analysing' && s.analysis.checks.length >= 1);
      await handle.signal(pauseSignal, { by: 'tester' });
      const paused = await waitForStatus(handle, (s) => s.phase === 'paused');
      await sleep(1500);
      const later = await handle.query(canaryStatusQuery);
      expect(later.phase).toBe('paused');
      expect(later.windowRemainingMs).toBe(paused.windowRemainingMs);
      expect(later.analysis.checks.length).toBe(paused.analysis.checks.length);
      await handle.signal(abortSignal, { by: 'tester' });
      expect(await result).toMatchObject({ result: 'rolled-back' });
    });
  });

  it('resumes after a pause and promotes on approve', async () => {
    const { champion, candidate } = await modelWithChampion('approve-resumed');
    const { handle, result } = await rollout({ definition: definition('approve-resumed', {}, { slaWindow: '30s' }), canaryVersion: candidate, championVersion: champion });
    await h.env.run(async () => {
      await waitForStatus(handle, (s) => s.phase === 'analysing');
      await handle.signal(pauseSignal, {});
      await waitForStatus(handle, (s) => s.phase === 'paused');
      await handle.signal(resumeSignal, {});
      const resumed = await waitForStatus(handle, (s) => s.phase === 'analysing' && s.analysis.checks.length >= 2);
      expect(resumed.paused).toBe(false);
      await handle.signal(approveSignal, { by: 'tester' });
      expect(await result).toMatchObject({ result: 'promoted', reason: 'approved by tester' });
    });
  });
});
