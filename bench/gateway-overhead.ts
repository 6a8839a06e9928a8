/**
 * Latency the traffic gateway adds: the same open-loop load (fixed request rate, latency timed
 * from each request's scheduled start, so a stall is not hidden by sending fewer requests) goes
 * once straight to an OIP upstream and once through the gateway, which routes, logs every
 * prediction to Parquet and keeps stats. Added latency = quantile(through gateway) − quantile(direct).
 *
 *   npx tsx bench/gateway-overhead.ts [seconds=10] [rates=1000,5000]
 *
 * Upstream, gateway and load generator run as three processes: on a 2-core machine they share
 * the cores, so the numbers include that contention (a real deployment gives the gateway its own).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

type Role = 'upstream' | 'gateway' | 'load';
interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  seconds: number;
  p50: number;
  p99: number;
  max: number;
  cpuPercent: number;
}
interface GatewayReport {
  cpuPercent: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  writtenRows: number;
  droppedRows: number;
  lastFlushMs: number | null;
}

const ADMIN_TOKEN = 'bench-token';
const WARMUP_SECONDS = 2;
const REQUEST_BODY = JSON.stringify({
  inputs: ['amount', 'age', 'tenure_days', 'merchant_risk', 'hour', 'distance_km', 'prior_chargebacks', 'device_score'].map((name, i) => ({
    name,
    shape: [1],
    datatype: 'FP64',
    data: [i * 10.5 + 1],
  })),
});

const role = process.argv[2] as Role | undefined;
if (role === 'upstream') await runUpstream();
else if (role === 'gateway') await runGateway(process.argv[3]!, process.argv[4]!);
else if (role === 'load') await runLoad(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]), Number(process.argv[6]));
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
  let previous = { writtenRows: 0, droppedRows: 0 };
  try {
    for (const rate of rates) {
      const direct = await load(upstreamUrl, rate, seconds);
      gateway.send('reset');
      await message(gateway);
      const through = await load(gatewayUrl, rate, seconds);
      gateway.send('report');
      const report = await message<GatewayReport>(gateway);
      const written = report.writtenRows - previous.writtenRows;
      const dropped = report.droppedRows - previous.droppedRows;
      previous = report;
      rows.push(
        `| ${rate} | ${(through.ok / through.seconds).toFixed(0)} | ${ms(direct.p50)} / ${ms(direct.p99)} | ${ms(through.p50)} / ${ms(through.p99)} | ` +
          `**${ms(through.p50 - direct.p50)} / ${ms(through.p99 - direct.p99)}** | ${ms(through.max)} | ${through.failed} | ` +
          `${report.cpuPercent.toFixed(0)} % | ${ms(report.loopDelayP99Ms)} / ${ms(report.loopDelayMaxMs)} | ${through.cpuPercent.toFixed(0)} % | ${written} / ${dropped} | ${report.lastFlushMs?.toFixed(1) ?? '-'} |`,
      );
    }
  } finally {
    gateway.kill('SIGTERM');
    upstream.kill('SIGTERM');
    await Promise.all([once(gateway, 'exit'), once(upstream, 'exit')]);
    await rm(dataDir, { recursive: true, force: true });
  }
  console.log(`\nGateway overhead, open loop, ${seconds} s per rate after ${WARMUP_SECONDS} s warm-up; 8-feature single-row OIP requests`);
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}; upstream, gateway and load generator are separate processes on these cores\n`);
  console.log('| rate (req/s) | served (req/s) | direct p50 / p99 ms | via gateway p50 / p99 ms | added p50 / p99 ms | max ms | failed | gateway CPU | gateway event-loop delay p99 / max ms | load gen CPU | log rows written / dropped | last flush ms |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) console.log(row);
}

function ms(value: number): string {
  return value.toFixed(2);
}

function start(childRole: Role, ...args: string[]): ChildProcess {
  return fork(fileURLToPath(import.meta.url), [childRole, ...args], { execArgv: [...process.execArgv, ...(childRole === 'gateway' && process.env.BENCH_GATEWAY_NODE_FLAGS ? process.env.BENCH_GATEWAY_NODE_FLAGS.split(' ') : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

async function message<T>(child: ChildProcess): Promise<T> {
  const [value] = (await once(child, 'message')) as [T];
  return value;
}

async function load(url: string, rate: number, seconds: number): Promise<LoadResult> {
  const generator = start('load', url, String(rate), String(seconds), String(WARMUP_SECONDS));
  const result = await message<LoadResult>(generator);
  await once(generator, 'exit');
  return result;
}

/** A minimal, fast OIP model: answers every infer with one probability. */
async function runUpstream(): Promise<void> {
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
  const flushIntervalMs = process.env.BENCH_FLUSH_INTERVAL_MS ? Number(process.env.BENCH_FLUSH_INTERVAL_MS) : undefined;
  const flushRows = process.env.BENCH_FLUSH_ROWS ? Number(process.env.BENCH_FLUSH_ROWS) : undefined;
  const gateway = await startGateway({ dataDir, adminToken: ADMIN_TOKEN, port: 0, flushIntervalMs, flushRows, maxBufferedRows: 10_000_000 });
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const admin = async (method: 'PUT', requestPath: string, body: unknown) => {
    const response = await fetch(`${gateway.url}${requestPath}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${requestPath}: ${response.status} ${await response.text()}`);
  };
  await admin('PUT', '/admin/models/bench/versions/1', { url: upstreamUrl });
  await admin('PUT', '/admin/models/bench/weights', { weights: { 1: 100 } });
  let cpu = process.cpuUsage();
  let since = performance.now();
  process.on('message', async (request: string) => {
    if (request === 'reset') {
      cpu = process.cpuUsage();
      since = performance.now();
      loopDelay.reset();
      process.send!('ok');
    } else if (request === 'report') {
      const used = process.cpuUsage(cpu);
      const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
      const read = (name: string) => Number(metrics.split('\n').find((line) => line.startsWith(`${name}{log="predictions"} `))?.split(' ')[1] ?? NaN);
      const report: GatewayReport = {
        cpuPercent: ((used.user + used.system) / 1000 / (performance.now() - since)) * 100,
        loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
        loopDelayMaxMs: loopDelay.max / 1e6,
        writtenRows: read('mlops_gateway_log_written_rows_total'),
        droppedRows: read('mlops_gateway_log_dropped_rows_total'),
        lastFlushMs: read('mlops_gateway_log_last_flush_seconds') * 1000,
      };
      process.send!(report);
    }
  });
  process.once('SIGTERM', async () => {
    await gateway.close();
    process.exit(0);
  });
  process.send!(gateway.url);
}

/** Open loop: requests start on a fixed schedule whether or not earlier ones have answered. */
async function runLoad(url: string, rate: number, seconds: number, warmupSeconds: number): Promise<void> {
  const pool = new Pool(url, { connections: 512, keepAliveTimeout: 60_000 });
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  let sent = 0;
  const interval = 1000 / rate;
  const begin = performance.now();
  const measureFrom = begin + warmupSeconds * 1000;
  const end = measureFrom + seconds * 1000;
  const inFlight = new Set<Promise<void>>();
  let cpu = process.cpuUsage();
  let cpuMeasured = false;
  const fire = (scheduledAt: number) => {
    const measured = scheduledAt >= measureFrom;
    if (measured) sent++;
    const call = pool
      .request({ method: 'POST', path: '/v2/models/bench/infer', headers: { 'content-type': 'application/json' }, body: REQUEST_BODY })
      .then(async (response) => {
        await response.body.dump();
        if (!measured) return;
        latencies.push(performance.now() - scheduledAt);
        if (response.statusCode === 200) ok++;
        else failed++;
      })
      .catch(() => {
        if (measured) failed++;
      });
    inFlight.add(call);
    void call.finally(() => inFlight.delete(call));
  };
  let next = begin;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (!cpuMeasured && now >= measureFrom) {
        cpu = process.cpuUsage();
        cpuMeasured = true;
      }
      while (next <= now && next < end) {
        fire(next);
        next += interval;
      }
      if (next >= end) resolve();
      // A 1 ms timer rather than a busy loop: the generator must not take a core from the gateway.
      // Requests due within one tick leave together; latency still counts from each one's own slot.
      else setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(inFlight);
  const used = process.cpuUsage(cpu);
  await pool.close();
  latencies.sort((a, b) => a - b);
  const quantile = (q: number) => latencies[Math.max(0, Math.ceil(q * latencies.length) - 1)] ?? NaN;
  const result: LoadResult = {
    sent,
    ok,
    failed,
    seconds,
    p50: quantile(0.5),
    p99: quantile(0.99),
    max: latencies[latencies.length - 1] ?? NaN,
    cpuPercent: ((used.user + used.system) / 1000 / (seconds * 1000)) * 100,
  };
  process.send!(result, () => process.exit(0));
}
