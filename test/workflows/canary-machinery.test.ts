/**
 * The canary under adversity (issue 12): a message that arrives while a measurement is in flight,
 * and rollout machinery that fails. Real dev server, gateway and model servers; a gate proxy
 * in front of the gateway makes a measurement slow at the moment that matters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_TOKEN } from '../support/serving-stack.js';
import { startCanaryHarness, type CanaryHarness } from '../support/canary-harness.js';
import { startGateProxy, type GateProxy } from '../support/gate-proxy.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { abortSignal, approveSignal, canaryStatusQuery, pauseSignal, resumeSignal } from '../../src/temporal/contract.js';

let h: CanaryHarness;
let proxy: GateProxy;

beforeAll(async () => {
  h = await startCanaryHarness('canary-machinery');
  proxy = await startGateProxy(h.stack.gateway.url);
});
afterAll(async () => {
  await proxy?.close();
  await h?.close();
});

describe('canaryRollout under adversity', () => {
  it('an abort sent while the measurement that would promote is in flight rolls back, never promotes', async () => {
    const { champion, candidate } = await h.modelWithChampion('abort-in-flight');
    // One step: the first check at or after the window's end advances, and advancing the last step promotes.
    const definition = h.definition('abort-in-flight', { gateway: { url: proxy.url } }, { steps: [{ weight: 30 }], slaWindow: '3s', minChecksWithEvidence: 1 });
    const { handle, result } = await h.rollout({ definition, canaryVersion: candidate, championVersion: champion });
    await h.env.run(async () => {
      const analysing = await h.waitForStatus(handle, (s) => s.phase === 'analysing' && s.analysis.windowEndsAt > 0);
      const windowEndsAt = analysing.analysis.windowEndsAt;
      // Hold the first stats request made once the window is over: the measurement whose verdict promotes.
      proxy.closeGate((method, path) => method === 'GET' && path.endsWith('/stats') && Date.now() >= windowEndsAt + 20);
      await proxy.waitForHeld();
      await handle.signal(abortSignal, { by: 'tester', reason: 'saw it in the logs' });
      await new Promise((resolve) => setTimeout(resolve, 500));
      proxy.open();
      expect(await result).toMatchObject({ result: 'rolled-back', reason: 'aborted by tester: saw it in the logs' });
    });
    expect(await h.weights('abort-in-flight')).toEqual([[champion, 100]]);
    const state = await h.registryState('abort-in-flight');
    expect(state.champion).toBe(champion);
    expect(state.versions.find((v) => v.version === candidate)?.status).toBe('rejected');
  });

  it('a flapping canary (faults 3 s on, 2 s off: failing stretches shorter than the window) is rolled back on its failure budget', async () => {
    const { champion, candidate } = await h.modelWithChampion('flapping');
    const definition = h.definition('flapping', { faults: { errorRate: 0.15, addedLatencyMs: 0, flap: { on: '3s', off: '2s' } } }, { slaWindow: '16s', onInsufficientEvidence: 'extend', maxExtensions: 3 });
    const { handle, result } = await h.rollout({ definition, canaryVersion: candidate, championVersion: champion });
    const outcome = await h.env.run(() => result);
    expect(outcome).toMatchObject({ result: 'rolled-back', reason: expect.stringMatching(/^failure budget spent in the 16s window: /) });
    // It did pass now and then: a rule where the latest check decides would have let it through.
    const status = await handle.query(canaryStatusQuery);
    expect(status.analysis.counters.pass, JSON.stringify(status.analysis.checks.map((c) => [c.verdict, c.numbers.requests, c.numbers.errors]))).toBeGreaterThan(0);
    expect(await h.weights('flapping')).toEqual([[champion, 100]]);
  });

  it('an approve received but not acted on before continue-as-new is carried into the new run and honoured', async () => {
    const { champion, candidate } = await h.modelWithChampion('carried-approve');
    const definition = h.definition('carried-approve', {}, { slaWindow: '60s' });
    const first = await h.rollout({ definition, canaryVersion: candidate, championVersion: champion });
    const carried = await h.env.run(() => h.waitForStatus(first.handle, (s) => s.phase === 'analysing' && s.analysis.checks.length >= 1));
    first.result.catch(() => undefined);
    await first.handle.terminate('test: stands in for the run that continued as new');
    // What continueAsNew passes: the state and the message that arrived with it.
    const next = await h.rollout({ definition, canaryVersion: candidate, championVersion: champion, carried, carriedCommand: { kind: 'approve', by: 'tester' } });
    expect(await h.env.run(() => next.result)).toMatchObject({ result: 'promoted', reason: 'approved by tester' });
    expect((await h.registryState('carried-approve')).champion).toBe(candidate);
  });

  it('a canary held for a person, and one paused, stay so across continue-as-new: one alert, the window frozen, then honoured', async () => {
    const held = await h.modelWithChampion('held-long', 0);
    const paused = await h.modelWithChampion('paused-long');
    // A new run every few checks, as a hold over a long weekend gets every few thousand events.
    const quiet = await h.rollout({ definition: h.definition('held-long'), canaryVersion: held.candidate, championVersion: held.champion, continueAsNewAfterEvents: 40 });
    const busy = await h.rollout({ definition: h.definition('paused-long', {}, { slaWindow: '30s' }), canaryVersion: paused.candidate, championVersion: paused.champion, continueAsNewAfterEvents: 40 });
    await h.env.run(async () => {
      await h.waitForStatus(quiet.handle, (s) => s.phase === 'holding');
      await h.waitForStatus(busy.handle, (s) => s.phase === 'analysing' && s.analysis.checks.length >= 1);
      await busy.handle.signal(pauseSignal, { by: 'tester' });
      const pausedAt = await h.waitForStatus(busy.handle, (s) => s.phase === 'paused');
      const heldRuns = await h.runs(quiet.handle);
      const pausedRuns = await h.runs(busy.handle);
      // Both keep checking (a check a second) and so keep continuing as new, still stopped.
      for (let i = 0; i < 300 && ((await h.runs(quiet.handle)) < heldRuns + 2 || (await h.runs(busy.handle)) < pausedRuns + 2); i++) await sleep(100);
      expect(await h.runs(quiet.handle)).toBeGreaterThanOrEqual(heldRuns + 2);
      expect(await h.runs(busy.handle)).toBeGreaterThanOrEqual(pausedRuns + 2);
      const stillHeld = await h.waitForStatus(quiet.handle, () => true);
      expect(stillHeld.phase).toBe('holding');
      expect((await h.alerts()).filter((a) => a.model === 'held-long' && a.kind === 'canary-held')).toHaveLength(1);
      const stillPaused = await h.waitForStatus(busy.handle, () => true);
      expect(stillPaused.phase).toBe('paused');
      // The window's clock stood still over the runs: what remained when paused remains (to a check's rounding).
      expect(Math.abs(stillPaused.windowRemainingMs! - pausedAt.windowRemainingMs!)).toBeLessThan(1_500);
      await quiet.handle.signal(approveSignal, { by: 'tester', reason: 'checked by hand' });
      await busy.handle.signal(resumeSignal, { by: 'tester' });
      await h.waitForStatus(busy.handle, (s) => s.phase === 'analysing');
      await busy.handle.signal(abortSignal, { by: 'tester' });
      expect(await quiet.result).toMatchObject({ result: 'promoted', reason: 'approved by tester: checked by hand' });
      expect(await busy.result).toMatchObject({ result: 'rolled-back', reason: 'aborted by tester' });
    });
  });

  it('a canary slower than the champion but well under the SLA bound is rolled back by the latency comparison', async () => {
    const { champion, candidate } = await h.modelWithChampion('slower');
    // +80 ms on every request: the p99 stays far below the 1000 ms bound, yet nearly every canary
    // request is slower than the champion's p99 (even on a loaded machine, where the champion's
    // own p99 reaches tens of milliseconds).
    const definition = h.definition('slower', { faults: { errorRate: 0, addedLatencyMs: 80 } }, { slaWindow: '8s', onInsufficientEvidence: 'extend', maxExtensions: 3 });
    const { handle, result } = await h.rollout({ definition, canaryVersion: candidate, championVersion: champion });
    const outcome = await h.env.run(() => result);
    const seen = await handle.query(canaryStatusQuery);
    expect(outcome.result, JSON.stringify(seen.analysis.checks.map((c) => [c.verdict, c.numbers.slow, c.numbers.latencyBayesFactor, c.numbers.latencyP99Ms, c.numbers.championLatencyP99Ms]))).toBe('rolled-back');
    expect(outcome.reason).toMatch(/latency vs champion: Bayes factor .* ≥ 1\/alpha 100/);
    const status = await handle.query(canaryStatusQuery);
    const failing = status.analysis.checks.filter((c) => c.verdict === 'fail');
    expect(failing.length).toBeGreaterThan(0);
    expect(failing.every((c) => c.numbers.latencyP99Ms! < 1000)).toBe(true);
    expect(await h.weights('slower')).toEqual([[champion, 100]]);
  });

  it('a worker that loses its gateway secret mid-rollout rolls back once the secret is back, alerting while it cannot', async () => {
    const { champion, candidate } = await h.modelWithChampion('lost-secret');
    process.env.MLOPS_DRILL_GATEWAY_TOKEN = GATEWAY_TOKEN;
    const definition = h.definition('lost-secret', { gateway: { url: h.stack.gateway.url, tokenEnv: 'MLOPS_DRILL_GATEWAY_TOKEN' } }, { slaWindow: '30s' });
    const { handle, result } = await h.rollout({ definition, canaryVersion: candidate, championVersion: champion });
    await h.env.run(async () => {
      await h.waitForStatus(handle, (s) => s.phase === 'analysing' && s.analysis.checks.length >= 1);
      // As when a worker restarts without the variable: measuring fails as an activity (non-retryable).
      delete process.env.MLOPS_DRILL_GATEWAY_TOKEN;
      const stuck = await h.waitForStatus(handle, (s) => s.events.some((e) => e.message.startsWith('rollback could not move traffic back to the champion')));
      expect(stuck.phase).toBe('rolling-back');
      // The event is noted before the alert activity delivers it: poll for the alert.
      const stuckAlerts = async () => (await h.alerts()).filter((a) => a.model === 'lost-secret' && a.kind === 'canary-rollback-stuck');
      for (let i = 0; i < 100 && (await stuckAlerts()).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await stuckAlerts()).length).toBeGreaterThanOrEqual(1);
      // The canary still serves: the rollback cannot move traffic without the token, and says so.
      expect(await h.weights('lost-secret')).toEqual([[champion, 70], [candidate, 30]]);
      process.env.MLOPS_DRILL_GATEWAY_TOKEN = GATEWAY_TOKEN;
      const outcome = await result;
      expect(outcome.result).toBe('rolled-back');
      expect(outcome.reason).toMatch(/^the rollout failed: .*MLOPS_DRILL_GATEWAY_TOKEN/);
    });
    expect(await h.weights('lost-secret')).toEqual([[champion, 100]]);
    expect((await h.registryState('lost-secret')).versions.find((v) => v.version === candidate)?.status).toBe('rejected');
    expect((await h.alerts()).filter((a) => a.model === 'lost-secret' && a.kind === 'canary-rollback')).toHaveLength(1);
  }, 120_000);
});
