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
}

export async function trafficCommand(options: TrafficCommandOptions): Promise<number> {
  const table = await loadDataset(options.data);
  const features = table.columns.map((c) => c.name).filter((n) => n !== options.target && !options.exclude.includes(n));
  const controller = new AbortController();
  process.once('SIGTERM', () => controller.abort());
  process.once('SIGINT', () => controller.abort());
  console.log(`traffic: ${options.rps} req/s to ${options.gateway} for ${options.model} (${table.rowCount} rows, ${features.length} features)`);
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
    signal: controller.signal,
  });
  console.log(`traffic: sent ${stats.sent}, by version ${JSON.stringify(stats.byVersion)}, transport failures ${stats.failed}, labels ${stats.labelsSent}`);
  return 0;
}
