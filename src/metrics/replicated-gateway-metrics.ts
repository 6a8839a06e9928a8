/**
 * Metrics from several gateway replicas behind one load balancer: each replica's stats API is
 * read and the answers are added up (merge-model-stats.ts). A replica that does not answer makes
 * the whole reading unavailable (the canary then has no evidence for that check) rather than a
 * silent undercount: a replica's traffic left out could hide exactly the errors that matter.
 */
import type { ModelStats } from '../serving/gateway-contract.js';
import { GatewayMetricsSource, type GatewayMetricsOptions } from './gateway-metrics.js';
import { mergeModelStats, UnmergeableStatsError } from './merge-model-stats.js';
import { MetricsUnavailableError, type MetricsSource, type VersionMetrics, type VersionMetricsOptions } from './metrics-source.js';

export class ReplicatedGatewayMetricsSource implements MetricsSource {
  private readonly replicas: { url: string; source: GatewayMetricsSource }[];

  constructor(urls: readonly string[], token: string, options: GatewayMetricsOptions = {}) {
    this.replicas = urls.map((url) => ({ url, source: new GatewayMetricsSource(url, token, options) }));
  }

  async versionMetrics(model: string, version: number, windowSeconds: number, options: VersionMetricsOptions = {}): Promise<VersionMetrics> {
    const stats = await this.modelStats(model, windowSeconds, options);
    const found = stats.versions.find((entry) => entry.version === version);
    if (!found) {
      const present = stats.versions.map((entry) => entry.version).join(', ') || 'none';
      throw new MetricsUnavailableError(`gateway replicas' stats for model "${model}" have no version ${version} (versions present: ${present}); is it routed?`);
    }
    return found;
  }

  async modelStats(model: string, windowSeconds: number, options: VersionMetricsOptions = {}): Promise<ModelStats> {
    const settled = await Promise.allSettled(this.replicas.map(({ source }) => source.modelStats(model, windowSeconds, options)));
    const failed = settled.flatMap((result, i) => (result.status === 'rejected' ? [`${this.replicas[i]!.url}: ${(result.reason as Error).message}`] : []));
    if (failed.length > 0) {
      throw new MetricsUnavailableError(`${failed.length} of ${this.replicas.length} gateway replicas gave no stats, so the sum would undercount:\n  ${failed.join('\n  ')}`);
    }
    try {
      return mergeModelStats(settled.map((result, i) => ({ url: this.replicas[i]!.url, stats: (result as PromiseFulfilledResult<ModelStats>).value })));
    } catch (err) {
      if (err instanceof UnmergeableStatsError) throw new MetricsUnavailableError(err.message);
      throw err;
    }
  }

  async isOnline(): Promise<boolean> {
    const answers = await Promise.all(this.replicas.map(({ source }) => source.isOnline()));
    return answers.every(Boolean);
  }
}
