/**
 * Latency the traffic gateway adds, side by side with nginx (issue 11). One open-loop load
 * generator (fixed request rate; latency timed from each request's scheduled start, so a stall
 * cannot hide by sending less) rotates every half second between three targets: an OIP upstream
 * directly; our gateway, splitting 95/5 between two upstreams, logging every prediction to Parquet
 * and keeping stats; and nginx from Debian with the same weighted upstreams and an access log to
 * disk. Interleaving makes all three see the same background load. Added latency =
 * quantile(via proxy) − quantile(direct).
 *
 *   npm run bench gateway-overhead [-- seconds per side=10] [rates=1000,5000] [--append]
 *
 * nginx runs one worker process (our gateway is one Node process) with upstream keepalive, and its
 * access log buffered (buffer=64k flush=1s), as our log writer buffers rows into Parquet files.
 * Without nginx installed (bench/install-references nginx installs it from Debian) the table has
 * the gateway only.
 *
 * Upstream, gateway and generator are three processes. On a 2-core machine they share the
 * cores (the generator uses a 1 ms timer, not a busy loop, to leave them as much as it can),
 * so the tail includes that contention; a real deployment gives the gateway its own cores.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

type Role = 'upstream' | 'gateway' | 'load';
type Target = 'direct' | 'gateway' | 'nginx';
const TARGETS: Target[] = ['direct', 'gateway', 'nginx'];

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
  nginx: Quantiles;
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
else if (role === 'gateway') await runGateway(process.argv[3]!, process.argv[4]!, process.argv[5]!);
else if (role === 'load') await runLoad(JSON.parse(process.argv[3]!) as Partial<Record<Target, string>>, Number(process.argv[4]), Number(process.argv[5]));
else await main();

async function main(): Promise<void> {
  const positional = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  const seconds = Number(positional[0] ?? 10);
  const rates = (positional[1] ?? '1000,5000').split(',').map(Number);
  const append = process.argv.includes('--append');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-gateway-bench-'));
  const upstreams = [start('upstream'), start('upstream')];
  const [stableUrl, canaryUrl] = await Promise.all(upstreams.map((child) => message<string>(child)));
  const gateway = start('gateway', stableUrl!, canaryUrl!, dataDir);
  const gatewayUrl = await message<string>(gateway);
  const nginx = await startNginx(stableUrl!, canaryUrl!, dataDir);
  const urls: Partial<Record<Target, string>> = { direct: stableUrl!, gateway: gatewayUrl, ...(nginx ? { nginx: nginx.url } : {}) };
  const rows: string[] = [];
  try {
    for (const rate of rates) {
      const before = await ask<GatewayReport>(gateway, 'report');
      const nginxCpuBefore = nginx ? await nginx.cpuMs() : 0;
      const generator = start('load', JSON.stringify(urls), String(rate), String(seconds));
      const result = await message<LoadResult>(generator);
      await once(generator, 'exit');
      const after = await ask<GatewayReport>(gateway, 'report');
      // Each proxy serves only in its slices, so its CPU is per second of its own traffic.
      const sliceSeconds = seconds + WARMUP_SECONDS / TARGETS.length;
      const gatewayCpu = ((after.cpuMs - before.cpuMs) / (sliceSeconds * 1000)) * 100;
      const nginxCpu = nginx ? (((await nginx.cpuMs()) - nginxCpuBefore) / (sliceSeconds * 1000)) * 100 : NaN;
      const { direct, gateway: ours, nginx: theirs } = result;
      const oursAdded = ours.p99 - direct.p99;
      const nginxAdded = nginx ? theirs.p99 - direct.p99 : NaN;
      const goal = rate <= 1000 ? oursAdded <= 1 : nginx ? oursAdded <= nginxAdded + 1 : false;
      rows.push(
        `| ${rate} | ${ours.ok + ours.failed} | ${ms(direct.p50)} / ${ms(direct.p99)} | ${ms(ours.p50)} / ${ms(ours.p99)} | ${nginx ? `${ms(theirs.p50)} / ${ms(theirs.p99)}` : '—'} | ` +
          `**${ms(ours.p50 - direct.p50)} / ${ms(oursAdded)}** | ${nginx ? `**${ms(theirs.p50 - direct.p50)} / ${ms(nginxAdded)}**` : '—'} | ` +
          `${rate <= 1000 ? 'ours ≤ 1 ms' : 'ours ≤ nginx + 1 ms'}: ${goal ? 'met' : 'missed'} | ${ours.failed} / ${nginx ? theirs.failed : '—'} | ` +
          `${gatewayCpu.toFixed(0)} % / ${nginx ? `${nginxCpu.toFixed(0)} %` : '—'} | ${ms(after.loopDelayP99Ms)} / ${ms(after.loopDelayMaxMs)} | ${result.cpuPercent.toFixed(0)} % | ` +
          `${after.writtenRows - before.writtenRows} / ${after.droppedRows - before.droppedRows} |`,
      );
    }
  } finally {
    gateway.kill('SIGTERM');
    for (const child of upstreams) child.kill('SIGTERM');
    await Promise.all([once(gateway, 'exit'), ...upstreams.map((child) => once(child, 'exit'))]);
    await nginx?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  const lines = [
    `### Gateway vs nginx — \`bench/gateway-overhead.ts\``,
    '',
    `${new Date().toISOString().slice(0, 10)}; ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}; load average ${os.loadavg().map((v) => v.toFixed(2)).join(' / ')} at the end. Reference: ${nginx ? nginx.version : 'nginx not installed (bench/install-references nginx)'}.`,
    `Open loop, ${seconds} s per target (direct, our gateway, nginx interleaved every ${SLICE_MS} ms) after ${WARMUP_SECONDS} s warm-up; 8-feature single-row OIP requests; both proxies split 95/5 between two upstreams and log every request to disk (ours: Parquet prediction log; nginx: access log, buffer=64k flush=1s, one worker process). Upstreams, gateway, nginx and generator are separate processes sharing 2 cores.`,
    '',
    '| rate (req/s) | requests per target | direct p50 / p99 ms | ours p50 / p99 ms | nginx p50 / p99 ms | ours added p50 / p99 ms | nginx added p50 / p99 ms | goal | failed ours / nginx | CPU ours / nginx | gateway event-loop delay p99 / max ms | generator CPU | log rows written / dropped |',
    '|---:|---:|---:|---:|---:|---:|---:|:--|---:|---:|---:|---:|---:|',
    ...rows,
  ];
  const report = lines.join('\n');
  console.log(`\n${report}`);
  if (append) {
    const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'benchmarks.md');
    const existing = await readFile(file, 'utf8');
    await writeFile(file, `${existing.trimEnd()}\n\n${report}\n`);
    console.log('appended to docs/benchmarks.md');
  }
}

interface RunningNginx {
  url: string;
  version: string;
  /** CPU time of the worker process so far. */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

/** nginx with the gateway's weighted split, or undefined when it is not installed. */
async function startNginx(stableUrl: string, canaryUrl: string, dataDir: string): Promise<RunningNginx | undefined> {
  const binary = ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find((candidate) => execFileSync('sh', ['-c', `test -x ${candidate} && echo yes || true`], { encoding: 'utf8' }).trim() === 'yes');
  if (!binary) {
    console.warn('nginx is not installed: run bench/install-references nginx for the side-by-side columns');
    return undefined;
  }
  const version = execFileSync(binary, ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim() || execFileSync('sh', ['-c', `${binary} -v 2>&1`], { encoding: 'utf8' }).trim();
  const prefix = path.join(dataDir, 'nginx');
  await mkdir(path.join(prefix, 'temp'), { recursive: true });
  const port = await freePort();
  const hostPort = (url: string) => new URL(url).host;
  const config = `${process.getuid?.() === 0 ? 'user root;\n' : ''}daemon off;
master_process on;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log ${prefix}/access.log combined buffer=64k flush=1s;
  client_body_temp_path ${prefix}/temp/body;
  proxy_temp_path ${prefix}/temp/proxy;
  fastcgi_temp_path ${prefix}/temp/fastcgi;
  uwsgi_temp_path ${prefix}/temp/uwsgi;
  scgi_temp_path ${prefix}/temp/scgi;
  keepalive_requests 100000;
  upstream models {
    server ${hostPort(stableUrl)} weight=95;
    server ${hostPort(canaryUrl)} weight=5;
    keepalive 256;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://models;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
  const configFile = path.join(prefix, 'nginx.conf');
  await writeFile(configFile, config);
  const child = spawn(binary, ['-p', prefix, '-c', configFile], { stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt += 1) {
    const up = await fetch(`${url}/v2/health/ready`).then(() => true, () => false);
    if (up) break;
    if (attempt > 100 || child.exitCode !== null) throw new Error(`nginx did not start: ${await readFile(path.join(prefix, 'error.log'), 'utf8').catch(() => '')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const workerPid = () => execFileSync('sh', ['-c', `pgrep -P ${child.pid} | head -1`], { encoding: 'utf8' }).trim();
  const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return {
    url,
    version,
    async cpuMs() {
      const fields = (await readFile(`/proc/${workerPid()}/stat`, 'utf8')).split(') ')[1]!.split(' ');
      return ((Number(fields[11]) + Number(fields[12])) / ticks) * 1000; // utime + stime
    },
    async stop() {
      child.kill('SIGQUIT');
      await once(child, 'exit');
      await stat(path.join(prefix, 'access.log')).catch(() => undefined);
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
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

async function runGateway(stableUrl: string, canaryUrl: string, dataDir: string): Promise<void> {
  const { startGateway } = await import('../src/serving/gateway.js');
  const gateway = await startGateway({ dataDir, adminToken: ADMIN_TOKEN, port: 0 });
  const admin = async (requestPath: string, body: unknown) => {
    const response = await fetch(`${gateway.url}${requestPath}`, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${requestPath}: ${response.status} ${await response.text()}`);
  };
  await admin('/admin/models/bench/versions/1', { url: stableUrl });
  await admin('/admin/models/bench/versions/2', { url: canaryUrl });
  await admin('/admin/models/bench/weights', { weights: { 1: 95, 2: 5 } });
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
async function runLoad(urls: Partial<Record<Target, string>>, rate: number, seconds: number): Promise<void> {
  const targets = TARGETS.filter((target) => urls[target] !== undefined);
  const pools = Object.fromEntries(targets.map((target) => [target, new Pool(urls[target]!, { connections: 512 })])) as Record<Target, Pool>;
  const latencies: Record<Target, number[]> = { direct: [], gateway: [], nginx: [] };
  const failures: Record<Target, number> = { direct: 0, gateway: 0, nginx: 0 };
  const interval = 1000 / rate;
  const begin = performance.now();
  const measureFrom = begin + WARMUP_SECONDS * 1000;
  const end = measureFrom + targets.length * seconds * 1000;
  const inFlight = new Set<Promise<void>>();
  const fire = (scheduledAt: number) => {
    const target = targets[Math.floor((scheduledAt - begin) / SLICE_MS) % targets.length]!;
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
  await Promise.all(targets.map((target) => pools[target].close()));
  const summarize = (target: Target): Quantiles => {
    const sorted = latencies[target].sort((a, b) => a - b);
    const quantile = (q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN;
    return { ok: sorted.length, failed: failures[target], p50: quantile(0.5), p99: quantile(0.99), max: sorted[sorted.length - 1] ?? NaN };
  };
  const result: LoadResult = {
    direct: summarize('direct'),
    gateway: summarize('gateway'),
    nginx: summarize('nginx'),
    cpuPercent: ((used.user + used.system) / 1000 / (performance.now() - begin)) * 100,
  };
  process.send!(result, () => process.exit(0));
}
