/**
 * Metrics adapter over the traffic gateway's own stats API
 * (`GET /admin/models/{model}/stats?windowSeconds=N`, see src/serving/gateway-contract.ts).
 * The gateway counts from its prediction log, so its numbers are exact for the window.
 */
import { z } from 'zod';
import type { ModelStats } from '../serving/gateway-contract.js';
import { answersOk, bodyOrUnavailable, fetchOrUnavailable } from './fetch-or-unavailable.js';
import { MetricsUnavailableError, type MetricsSource, type VersionMetrics, type VersionMetricsOptions } from './metrics-source.js';

export interface GatewayMetricsOptions {
  /** Per-request timeout; the stats call is cheap, so a slow answer means trouble. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

const nullableNumber = z.number().nullable();
const VersionStatsAnswer = z.object({
  version: z.number().int(),
  requests: z.number().nonnegative(),
  errors: z.number().nonnegative(),
  errorRate: nullableNumber,
  latencyP50Ms: nullableNumber,
  latencyP99Ms: nullableNumber,
  meanScore: nullableNumber,
  labeled: z.number().nonnegative(),
  correct: z.number().nonnegative(),
  accuracy: nullableNumber,
  slowerThan: z.object({ thresholdMs: z.number().positive(), requests: z.number().nonnegative() }).optional(),
  mergeable: z
    .object({
      latencyBuckets: z.array(z.tuple([z.number().int(), z.number().int().nonnegative()])),
      scoreSum: z.number(),
      scoreCount: z.number().int().nonnegative(),
    })
    .optional(),
  kpis: z.record(z.string(), z.object({ count: z.number().nonnegative(), sum: z.number(), sumSquares: z.number().nonnegative() })).optional(),
});
const ModelStatsAnswer = z.object({
  model: z.string(),
  windowSeconds: z.number(),
  asOf: z.string(),
  versions: z.array(VersionStatsAnswer),
});

export class GatewayMetricsSource implements MetricsSource {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;

  /** `token` is the admin token's value (the caller reads it from the env var the definition names). */
  constructor(baseUrl: string, private readonly token: string, options: GatewayMetricsOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async versionMetrics(model: string, version: number, windowSeconds: number, options: VersionMetricsOptions = {}): Promise<VersionMetrics> {
    const stats = await this.modelStats(model, windowSeconds, options);
    const found = stats.versions.find((entry) => entry.version === version);
    if (!found) {
      const present = stats.versions.map((entry) => entry.version).join(', ') || 'none';
      throw new MetricsUnavailableError(`gateway stats for model "${model}" have no version ${version} (versions present: ${present}); is it routed?`);
    }
    return found;
  }

  /** The whole stats answer for a model (every routed version). */
  async modelStats(model: string, windowSeconds: number, options: VersionMetricsOptions = {}): Promise<ModelStats> {
    // Whole seconds only: a canary check every N s over N s windows then counts each request once.
    const slower = options.slowerThanMs !== undefined ? `&slowerThanMs=${encodeURIComponent(String(options.slowerThanMs))}` : '';
    const url = `${this.baseUrl}/admin/models/${encodeURIComponent(model)}/stats?windowSeconds=${encodeURIComponent(String(windowSeconds))}&complete=true${slower}`;
    const response = await fetchOrUnavailable(this.backend, url, { authorization: `Bearer ${this.token}`, accept: 'application/json' }, this.timeoutMs);
    const body = await bodyOrUnavailable(this.backend, url, response);
    if (!response.ok) {
      const hint = response.status === 401 || response.status === 403 ? ' (check the admin token)' : '';
      throw new MetricsUnavailableError(`gateway stats ${url} answered ${response.status}${hint}: ${errorMessageOf(body)}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new MetricsUnavailableError(`gateway stats ${url} answered ${response.status} with a body that is not JSON: ${body.slice(0, 200)}`);
    }
    const parsed = ModelStatsAnswer.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new MetricsUnavailableError(`gateway stats ${url}: unexpected answer at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
    }
    return parsed.data;
  }

  async isOnline(): Promise<boolean> {
    return answersOk(`${this.baseUrl}/v2/health/ready`, this.timeoutMs);
  }

  private get backend(): string {
    return `gateway at ${this.baseUrl}`;
  }
}

/** The gateway's errors are `{ error: "..." }`; anything else is shown as the first 200 characters. */
function errorMessageOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: fall through
  }
  return body.slice(0, 200) || '(empty body)';
}
