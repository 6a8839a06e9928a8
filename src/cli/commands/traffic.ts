/** `mlops traffic`: sends a dataset's rows through the gateway at a steady rate (demo and drills). */
import { loadDataset } from '../../data/load-dataset.js';
import { sendTraffic } from '../../serving/traffic-generator.js';

export interface TrafficCommandOptions {
  model: string;
  data: string;
  target: string;
  exclude: string[];
  gateway: string;
  rps: number;
  seconds: number;
  labelShare: number;
  labelDelayMs: number;
  /** `name=rate`, e.g. `clicked=0.2`. */
  kpi?: string;
  kpiChallengerDrop: number;
}

/** `clicked=0.2` → { name: 'clicked', rate: 0.2 }; a clear error otherwise. */
export function parseKpiOption(text: string): { name: string; rate: number } {
  const match = /^([a-z][a-z0-9_]{0,39})=(0(\.\d+)?|1(\.0+)?)$/.exec(text);
  if (!match) throw new Error(`--kpi: expected name=rate with a KPI name (lower-case letters, digits, _) and a probability between 0 and 1, e.g. clicked=0.2; got "${text}"`);
  return { name: match[1]!, rate: Number(match[2]) };
}

export async function trafficCommand(options: TrafficCommandOptions): Promise<number> {
  let kpi: { name: string; rate: number; challengerDrop: number } | undefined;
  try {
    kpi = options.kpi ? { ...parseKpiOption(options.kpi), challengerDrop: options.kpiChallengerDrop } : undefined;
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  const table = await loadDataset(options.data);
  const features = table.columns.map((c) => c.name).filter((n) => n !== options.target && !options.exclude.includes(n));
  const controller = new AbortController();
  process.once('SIGTERM', () => controller.abort());
  process.once('SIGINT', () => controller.abort());
  console.log(`traffic: ${options.rps} req/s to ${options.gateway} for ${options.model} (${table.rowCount} rows, ${features.length} features)${kpi ? `; KPI ${kpi.name} at ${kpi.rate}${kpi.challengerDrop > 0 ? `, ${kpi.challengerDrop * 100}% lower on the newest version` : ''}` : ''}`);
  const stats = await sendTraffic({
    gatewayUrl: options.gateway.replace(/\/$/, ''),
    model: options.model,
    table,
    features,
    target: options.target,
    requestsPerSecond: options.rps,
    durationMs: options.seconds * 1000,
    labelShare: options.labelShare,
    labelDelayMs: options.labelDelayMs,
    ...(kpi ? { kpi } : {}),
    signal: controller.signal,
  });
  console.log(`traffic: sent ${stats.sent}, by version ${JSON.stringify(stats.byVersion)}, transport failures ${stats.failed}, labels ${stats.labelsSent}${kpi ? `, ${kpi.name} ${stats.kpisSent}` : ''}`);
  return 0;
}
