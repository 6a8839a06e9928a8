import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GatewayMetricsSource } from '../../../src/metrics/gateway-metrics.js';
import { MetricsUnavailableError } from '../../../src/metrics/metrics-source.js';
import type { ModelStats, VersionStats } from '../../../src/serving/gateway-contract.js';
import { sendJson, startStubHttpServer, unusedUrl, type StubHttpServer } from './stub-http-server.js';

const TOKEN = 'test-admin-token';

const champion: VersionStats = {
  version: 3, requests: 950, errors: 4, errorRate: 4 / 950, latencyP50Ms: 12.5, latencyP99Ms: 80.1,
  meanScore: 0.41, labeled: 200, correct: 170, accuracy: 0.85,
};
const canary: VersionStats = {
  version: 4, requests: 50, errors: 0, errorRate: 0, latencyP50Ms: null, latencyP99Ms: null,
  meanScore: null, labeled: 0, correct: 0, accuracy: null,
};
const stats: ModelStats = { model: 'churn', windowSeconds: 60, asOf: '2025-01-01T00:00:00.000Z', versions: [champion, canary] };

describe('GatewayMetricsSource', () => {
  let gateway: StubHttpServer;
  let source: GatewayMetricsSource;

  beforeAll(async () => {
    gateway = await startStubHttpServer();
    source = new GatewayMetricsSource(`${gateway.url}/`, TOKEN, { timeoutMs: 300 });
  });
  afterAll(() => gateway.close());
  beforeEach(() => {
    gateway.requests.length = 0;
    gateway.answer((request, response) => {
      if (request.url.pathname === '/v2/health/ready') return sendJson(response, 200, {}); // no token needed
      if (request.headers.authorization !== `Bearer ${TOKEN}`) return sendJson(response, 401, { error: 'missing or wrong bearer token' });
      if (request.url.pathname === '/admin/models/churn/stats') return sendJson(response, 200, stats);
      sendJson(response, 404, { error: `model not found` });
    });
  });

  it('reads one version from the stats API with the bearer token and the window', async () => {
    await expect(source.versionMetrics('churn', 3, 60)).resolves.toEqual(champion);
    await expect(source.versionMetrics('churn', 4, 60)).resolves.toEqual(canary);
    const [first] = gateway.requests;
    expect(first?.method).toBe('GET');
    expect(first?.url.searchParams.get('windowSeconds')).toBe('60');
    expect(first?.url.searchParams.get('complete')).toBe('true');
    expect(first?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('encodes the model name into the path', async () => {
    await source.versionMetrics('a.b c', 1, 30).catch(() => undefined);
    expect(gateway.requests[0]?.url.pathname).toBe('/admin/models/a.b%20c/stats');
  });

  it('reports a version missing from the answer, with the versions present', async () => {
    const error = await source.versionMetrics('churn', 9, 60).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(MetricsUnavailableError);
    expect((error as Error).message).toMatch(/no version 9 \(versions present: 3, 4\)/);
  });

  it('reports a wrong token as 401 with a hint', async () => {
    const wrong = new GatewayMetricsSource(gateway.url, 'wrong', { timeoutMs: 300 });
    await expect(wrong.versionMetrics('churn', 3, 60)).rejects.toThrow(/answered 401 \(check the admin token\): missing or wrong bearer token/);
  });

  it("passes on the gateway's error message for an unknown model", async () => {
    const error = await source.versionMetrics('unknown', 1, 60).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(MetricsUnavailableError);
    expect((error as Error).message).toMatch(/answered 404: model not found/);
  });

  it('reports a 5xx answer that is not JSON', async () => {
    gateway.answer((_request, response) => response.writeHead(502).end('Bad Gateway from proxy'));
    await expect(source.versionMetrics('churn', 3, 60)).rejects.toThrow(/answered 502: Bad Gateway from proxy/);
  });

  it('rejects a 200 answer that does not follow the contract', async () => {
    gateway.answer((_request, response) => sendJson(response, 200, { ...stats, versions: [{ ...champion, requests: 'many' }] }));
    await expect(source.versionMetrics('churn', 3, 60)).rejects.toThrow(/unexpected answer at versions\.0\.requests/);
    gateway.answer((_request, response) => response.writeHead(200).end('<html>'));
    await expect(source.versionMetrics('churn', 3, 60)).rejects.toThrow(/not JSON/);
  });

  it('gives up after the timeout', async () => {
    gateway.answer(() => undefined); // never answers
    const started = Date.now();
    await expect(source.versionMetrics('churn', 3, 60)).rejects.toThrow(/no answer within 300 ms/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('reports an unreachable gateway as unavailable and offline', async () => {
    const nowhere = new GatewayMetricsSource(await unusedUrl(), TOKEN, { timeoutMs: 300 });
    const error = await nowhere.versionMetrics('churn', 3, 60).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(MetricsUnavailableError);
    expect((error as Error).message).toMatch(/did not answer .*ECONNREFUSED/);
    await expect(nowhere.isOnline()).resolves.toBe(false);
  });

  it('is online when /v2/health/ready answers 2xx', async () => {
    await expect(source.isOnline()).resolves.toBe(true);
    expect(gateway.requests[0]?.url.pathname).toBe('/v2/health/ready');
    expect(gateway.requests[0]?.headers.authorization).toBeUndefined();
    gateway.answer((_request, response) => sendJson(response, 503, { error: 'not ready' }));
    await expect(source.isOnline()).resolves.toBe(false);
  });
});
