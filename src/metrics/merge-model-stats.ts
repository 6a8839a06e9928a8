/**
 * The stats of one model from several gateway replicas, added up. Every number a replica answers
 * is a sum over its requests (counts, score sums) or read from a mergeable latency histogram (its
 * buckets), so the merge equals what one gateway carrying all the replicas' traffic would answer,
 * quantiles included, not an average of percentiles. Pure.
 */
import type { KpiSums, ModelStats, VersionStats } from '../serving/gateway-contract.js';
import { LatencyHistogram } from '../serving/window-stats-histogram.js';

export class UnmergeableStatsError extends Error {
  override readonly name = 'UnmergeableStatsError';
}

export function mergeModelStats(answers: readonly { url: string; stats: ModelStats }[]): ModelStats {
  if (answers.length === 0) throw new RangeError('expected the stats of at least one replica');
  const first = answers[0]!.stats;
  for (const { url, stats } of answers) {
    if (stats.windowSeconds !== first.windowSeconds) {
      throw new UnmergeableStatsError(`gateway replica ${url} answered a ${stats.windowSeconds} s window, ${answers[0]!.url} a ${first.windowSeconds} s one`);
    }
  }
  const byVersion = new Map<number, { url: string; entry: VersionStats }[]>();
  for (const { url, stats } of answers) {
    for (const entry of stats.versions) {
      const list = byVersion.get(entry.version) ?? [];
      list.push({ url, entry });
      byVersion.set(entry.version, list);
    }
  }
  // The window ends at the latest replica clock: the merge covers what any replica counted up to then.
  const asOf = answers.map(({ stats }) => stats.asOf).sort().at(-1)!;
  const versions = [...byVersion.keys()].sort((a, b) => a - b).map((version) => mergeVersion(version, byVersion.get(version)!));
  return { model: first.model, windowSeconds: first.windowSeconds, asOf, versions };
}

function mergeVersion(version: number, parts: readonly { url: string; entry: VersionStats }[]): VersionStats {
  let requests = 0, errors = 0, labeled = 0, correct = 0, scoreSum = 0, scoreCount = 0;
  const latency = new LatencyHistogram();
  let slowerThan: VersionStats['slowerThan'];
  const kpis: Record<string, KpiSums> = {};
  for (const { url, entry } of parts) {
    if (!entry.mergeable) {
      if (entry.requests === 0 && entry.labeled === 0) continue;
      throw new UnmergeableStatsError(`gateway replica ${url} answers v${version}'s stats without their sums (mergeable): it runs an older gateway; upgrade every replica`);
    }
    requests += entry.requests;
    errors += entry.errors;
    labeled += entry.labeled;
    correct += entry.correct;
    scoreSum += entry.mergeable.scoreSum;
    scoreCount += entry.mergeable.scoreCount;
    latency.merge(LatencyHistogram.fromBuckets(entry.mergeable.latencyBuckets));
    for (const [name, sums] of Object.entries(entry.kpis ?? {})) {
      const total = (kpis[name] ??= { count: 0, sum: 0, sumSquares: 0 });
      total.count += sums.count;
      total.sum += sums.sum;
      total.sumSquares += sums.sumSquares;
    }
    if (entry.slowerThan) {
      // Each replica counts against the same threshold at the same bucket resolution, so the counts add.
      slowerThan = { thresholdMs: entry.slowerThan.thresholdMs, requests: (slowerThan?.requests ?? 0) + entry.slowerThan.requests };
    }
  }
  return {
    version,
    requests,
    errors,
    errorRate: requests > 0 ? errors / requests : null,
    latencyP50Ms: latency.quantile(0.5),
    latencyP99Ms: latency.quantile(0.99),
    meanScore: scoreCount > 0 ? scoreSum / scoreCount : null,
    labeled,
    correct,
    accuracy: labeled > 0 ? correct / labeled : null,
    ...(slowerThan ? { slowerThan } : {}),
    mergeable: { latencyBuckets: [...latency.buckets].sort((a, b) => a[0] - b[0]), scoreSum, scoreCount },
    ...(Object.keys(kpis).length > 0 ? { kpis } : {}),
  };
}
