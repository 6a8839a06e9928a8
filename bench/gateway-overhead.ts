/**
 * Latency the traffic gateway adds. One open-loop load generator (fixed request rate; latency
 * timed from each request's scheduled start, so a stall cannot hide by sending less) alternates
 * every half second between calling an OIP upstream directly and calling it through the
 * gateway, which routes, logs every prediction to Parquet and keeps stats. Interleaving makes
 * both sides see the same background load. Added latency = quantile(via gateway) − quantile(direct).
 *
 *   npx tsx bench/gateway-overhead.ts [seconds per side=10] [rates=1000,5000]
 *
 * Upstream, gateway and generator are three processes. On a 2-core machine they share the
 * cores (the generator uses a 1 ms timer, not a busy loop, to leave them as much as it can),
 * so the tail includes that contention; a real deployment gives the gateway its own cores.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

type Role = 'upstream' | 'gateway' | 'load';
type Target = 'direct' | 'gateway';

interface Quantiles {
  ok: number;
  failed: number;
  p50: number;
  p99: number;
  max: number;
}
interface LoadResult {
  direct: Quantiles;
  gateway: Quantiles;
  cpuPercent: number;
}
interface GatewayReport {
  cpuMs: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  writtenRows: number;
  droppedRows: number;
  lastFlushMs: number;
}

const ADMIN_TOKEN = 'bench-token';
const WARMUP_SECONDS = 2;
const SLICE_MS = 500;
const REQUEST_BODY = JSON.stringify({
  inputs: ['amount', 'age', 'tenure_days', 'merchant_risk', 'hour', 'distance_km', 'prior_chargebacks', 'device_score'].map((name, i) => ({
    name,
    shape: [1],
    datatype: 'FP64',
    data: [i * 10.5 + 1],
  })),
});

const role = process.argv[2] as Role | undefined;
if (role === 'upstream') runUpstream();
else if (role === 'gateway') await runGateway(process.argv[3]!, process.argv[4]!);
else if (role === 'load') await runLoad({ direct: process.argv[3]!, gateway: process.argv[4]! }, Number(process.argv[5]), Number(process.argv[6]));
else await main();

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 10);
  const rates = (process.argv[3] ?? '1000,5000').split(',').map(Number);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-gateway-bench-'));
  const upstream = start('upstream');
  const upstreamUrl = await message<string>(upstream);
  const gateway = start('gateway', upstreamUrl, dataDir);
  const gatewayUrl = await message<string>(gateway);
  const rows: string[] = [];
  try {
    for (const rate of rates) {
      const before = await ask<GatewayReport>(gateway, 'report');
      const generator = start('load', upstreamUrl, gatewayUrl, String(rate), String(seconds));
      const { direct, gateway: through, cpuPercent } = await message<LoadResult>(generator);
      await once(generator, 'exit');
      const after = await ask<GatewayReport>(gateway, 'report');
      // The gateway serves only in its slices, so its CPU is per second of gateway traffic.
      const gatewayCpu = ((after.cpuMs - before.cpuMs) / ((seconds + WARMUP_SECONDS / 2) * 1000)) * 100;
      rows.push(
        `| ${rate} | ${through.ok + through.failed} | ${ms(direct.p50)} / ${ms(direct.p99)} | ${ms(through.p50)} / ${ms(through.p99)} | ` +
          `**${ms(through.p50 - direct.p50)} / ${ms(through.p99 - direct.p99)}** | ${ms(direct.max)} / ${ms(through.max)} | ${through.failed} | ` +
          `${gatewayCpu.toFixed(0)} % | ${ms(after.loopDelayP99Ms)} / ${ms(after.loopDelayMaxMs)} | ${cpuPercent.toFixed(0)} % | ` +
          `${after.writtenRows - before.writtenRows} / ${after.droppedRows - before.droppedRows} | ${after.lastFlushMs.toFixed(1)} |`,
      );
    }
  } finally {
    gateway.kill('SIGTERM');
    upstream.kill('SIGTERM');
    await Promise.all([once(gateway, 'exit'), once(upstream, 'exit')]);
    await rm(dataDir, { recursive: true, force: true });
  }
  const load = os.loadavg()[0]!.toFixed(2);
  console.log(`\nGateway overhead: open loop, ${seconds} s per side (direct and via gateway interleaved every ${SLICE_MS} ms) after ${WARMUP_SECONDS} s warm-up; 8-feature single-row OIP requests`);
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}, load average ${load} at the end; upstream, gateway and generator are separate processes\n`);
  console.log('| rate (req/s) | via gateway: requests | direct p50 / p99 ms | via gateway p50 / p99 ms | added p50 / p99 ms | max ms direct / via | failed | gateway CPU | gateway event-loop delay p99 / max ms | generator CPU | log rows written / dropped | last flush ms |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) console.log(row);
}

function ms(value: number): string {
  return value.toFixed(2);
}

function start(childRole: Role, ...args: string[]): ChildProcess {
  const extraFlags = childRole === 'gateway' && process.env.BENCH_GATEWAY_NODE_FLAGS ? process.env.BENCH_GATEWAY_NODE_FLAGS.split(' ') : [];
  return fork(fileURLToPath(import.meta.url), [childRole, ...args], { execArgv: [...process.execArgv, ...extraFlags], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

async function message<T>(child: ChildProcess): Promise<T> {
  const [value] = (await once(child, 'message')) as [T];
  return value;
}

async function ask<T>(child: ChildProcess, question: string): Promise<T> {
  child.send(question);
  return message<T>(child);
}

/** A minimal, fast OIP model: answers every infer with one probability. */
function runUpstream(): void {
  const answer = Buffer.from(JSON.stringify({ model_name: 'bench', model_version: '1', outputs: [{ name: 'probability', shape: [1], datatype: 'FP64', data: [0.42] }] }));
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length });
      response.end(answer);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send!(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  process.once('SIGTERM', () => process.exit(0));
}

async function runGateway(upstreamUrl: string, dataDir: string): Promise<void> {
  const { startGateway } = await import('../src/serving/gateway.js');
  const gateway = await startGateway({ dataDir, adminToken: ADMIN_TOKEN, port: 0 });
  const admin = async (requestPath: string, body: unknown) => {
    const response = await fetch(`${gateway.url}${requestPath}`, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${requestPath}: ${response.status} ${await response.text()}`);
  };
  await admin('/admin/models/bench/versions/1', { url: upstreamUrl });
  await admin('/admin/models/bench/weights', { weights: { 1: 100 } });
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  process.on('message', async () => {
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    const read = (name: string) => Number(metrics.split('\n').find((line) => line.startsWith(`${name}{log="predictions"} `))?.split(' ')[1] ?? 0);
    const cpu = process.cpuUsage();
    const report: GatewayReport = {
      cpuMs: (cpu.user + cpu.system) / 1000,
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      loopDelayMaxMs: loopDelay.max / 1e6,
      writtenRows: read('mlops_gateway_log_written_rows_total'),
      droppedRows: read('mlops_gateway_log_dropped_rows_total'),
      lastFlushMs: read('mlops_gateway_log_last_flush_seconds') * 1000,
    };
    loopDelay.reset();
    process.send!(report);
  });
  process.once('SIGTERM', async () => {
    await gateway.close();
    process.exit(0);
  });
  process.send!(gateway.url);
}

/** Open loop at `rate`, switching target every SLICE_MS; each side gets `seconds` of measured traffic. */
async function runLoad(urls: Record<Target, string>, rate: number, seconds: number): Promise<void> {
  const pools = { direct: new Pool(urls.direct, { connections: 512 }), gateway: new Pool(urls.gateway, { connections: 512 }) };
  const latencies: Record<Target, number[]> = { direct: [], gateway: [] };
  const failures: Record<Target, number> = { direct: 0, gateway: 0 };
  const interval = 1000 / rate;
  const begin = performance.now();
  const measureFrom = begin + WARMUP_SECONDS * 1000;
  const end = measureFrom + 2 * seconds * 1000;
  const inFlight = new Set<Promise<void>>();
  const fire = (scheduledAt: number) => {
    const target: Target = Math.floor((scheduledAt - begin) / SLICE_MS) % 2 === 0 ? 'direct' : 'gateway';
    const measured = scheduledAt >= measureFrom;
    const call = pools[target]
      .request({ method: 'POST', path: '/v2/models/bench/infer', headers: { 'content-type': 'application/json' }, body: REQUEST_BODY })
      .then(async (response) => {
        await response.body.dump();
        if (!measured) return;
        if (response.statusCode === 200) latencies[target].push(performance.now() - scheduledAt);
        else failures[target]++;
      })
      .catch(() => {
        if (measured) failures[target]++;
      });
    inFlight.add(call);
    void call.finally(() => inFlight.delete(call));
  };
  const cpu = process.cpuUsage();
  let next = begin;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next <= now && next < end) {
        fire(next);
        next += interval;
      }
      // Requests due within one 1 ms tick leave together; each is still timed from its own slot.
      if (next >= end) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(inFlight);
  const used = process.cpuUsage(cpu);
  await Promise.all([pools.direct.close(), pools.gateway.close()]);
  const summarize = (target: Target): Quantiles => {
    const sorted = latencies[target].sort((a, b) => a - b);
    const quantile = (q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN;
    return { ok: sorted.length, failed: failures[target], p50: quantile(0.5), p99: quantile(0.99), max: sorted[sorted.length - 1] ?? NaN };
  };
  const result: LoadResult = {
    direct: summarize('direct'),
    gateway: summarize('gateway'),
    cpuPercent: ((used.user + used.system) / 1000 / (performance.now() - begin)) * 100,
  };
  process.send!(result, () => process.exit(0));
}
