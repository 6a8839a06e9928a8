/**
 * New-data webhook to workflow started, open loop: `npm run bench webhook-throughput [-- --rate 50
 * --seconds 60 --append]`. Signed Standard Webhooks deliveries (each its own data version, so each
 * must start its own modelPipeline) are sent on a fixed schedule whatever the answers, to the real
 * `mlops api` server in this process against a Temporal dev server of its own (SQLite-persisted,
 * as `scripts/temporal-dev-server` runs it). The server answers only after the start call returned,
 * so the HTTP latency is "event received → workflow started". Afterwards every run is looked up by
 * its id: an event whose run does not exist is lost. No worker polls the task queue (what starts
 * is the measure, not what the runs do); the runs are terminated at the end.
 * Goal (issue 11): p99 ≤ 50 ms at 50 events/s for 60 s, no event lost.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { stringify } from 'yaml';
import { resolveApiConfig } from '../src/triggers/api-config.js';
import { startWebhookServer } from '../src/triggers/webhook-server.js';
import { startPipelineRun } from '../src/triggers/start-pipeline-run.js';
import { send, standardWebhookDelivery } from '../test/support/webhook-sender.js';
import { appendReport, appendTarget, loadAverage, machineLine, option, REPO } from './lib/side-by-side.js';

const argv = process.argv.slice(2);
const rate = Number(option(argv, 'rate', '50'));
const seconds = Number(option(argv, 'seconds', '60'));
const GOAL_P99_MS = 50;
const SECRET = `whsec_${Buffer.from('webhook-throughput-benchmark-key').toString('base64')}`;

const work = await mkdtemp(path.join(os.tmpdir(), 'mlops-bench-webhook-'));
const port = 7400 + Math.floor(Math.random() * 400);
const serverEnv = { ...process.env, TEMPORAL_PORT: String(port), TEMPORAL_UI_PORT: String(port + 1000), MLOPS_DATA_DIR: work };
const address = process.env.TEMPORAL_ADDRESS ?? `127.0.0.1:${port}`;
const ownServer = process.env.TEMPORAL_ADDRESS === undefined;
if (ownServer) execFileSync(path.join(REPO, 'scripts', 'temporal-dev-server'), ['start'], { env: serverEnv, stdio: ['ignore', 'ignore', 'inherit'] });

const model = `bench-hook-${randomUUID().slice(0, 8)}`;
await writeFile(path.join(work, 'data.csv'), 'x,y\n1,0\n2,1\n');
await writeFile(path.join(work, 'pipeline.yaml'), stringify({ model, data: { source: 'data.csv', target: 'y' } }));
const settings = await resolveApiConfig(
  { port: 0, signatures: { standardWebhooks: { secretEnv: 'BENCH_HOOK_SECRET' } }, pipelines: [{ file: 'pipeline.yaml' }] },
  { baseDir: work, env: { BENCH_HOOK_SECRET: SECRET } },
);
const connection = await Connection.connect({ address });
const client = new Client({ connection });
const taskQueue = `bench-webhook-${randomUUID()}`;
const server = await startWebhookServer({ settings, client, taskQueue, log: () => undefined });
const loadBefore = loadAverage();

// Warm-up: connections, the definition cache, the JIT.
for (let i = 0; i < 20; i += 1) await send(server.url, standardWebhookDelivery(SECRET, { model, dataVersion: `warmup-${i}` }));

interface Sent { dataVersion: string; status: number; workflowId?: string; latencyMs: number; lateMs: number }
const total = Math.round(rate * seconds);
const intervalMs = 1000 / rate;

/** Calls `fire(i)` for i in [from, to) every 1/rate s whatever the answers (open loop); resolves with every answer. */
async function openLoop(from: number, to: number, fire: (i: number) => Promise<Omit<Sent, 'latencyMs' | 'lateMs'>>): Promise<Sent[]> {
  const begin = performance.now() - from * intervalMs;
  const inFlight: Promise<Sent>[] = [];
  for (let i = from; i < to; i += 1) {
    const due = begin + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const sentAt = performance.now();
    inFlight.push(
      fire(i).then(
        (answer) => ({ ...answer, latencyMs: performance.now() - sentAt, lateMs: sentAt - due }),
        () => ({ dataVersion: `event-${i}`, status: 0, latencyMs: performance.now() - sentAt, lateMs: sentAt - due }),
      ),
    );
  }
  return Promise.all(inFlight);
}

// The floor: the same start call (same options, search attributes and summary) straight from the
// Temporal client, i.e. what the server does per event minus HTTP, signature check and parsing.
const floorCall = async (i: number) => {
  const run = await startPipelineRun(client, taskQueue, { model, pipelineFile: path.join(work, 'pipeline.yaml'), dataVersion: `floor-${i}`, origin: 'benchmark floor' });
  return { dataVersion: run.dataVersion, status: 202, workflowId: run.workflowId };
};

const webhookCall = async (i: number) => {
  const dataVersion = `event-${i}`;
  const { status, body } = await send(server.url, standardWebhookDelivery(SECRET, { model, dataVersion }));
  return { dataVersion, status, workflowId: body.workflowId as string | undefined };
};

// Rounds of 10 s, alternating which side goes first, so a burst of load from other jobs on this
// shared machine falls on both sides rather than on one.
const floor: Sent[] = [];
const results: Sent[] = [];
const perRound = Math.max(1, Math.round(rate * 10));
const started = performance.now();
for (let from = 0, round = 0; from < total; from += perRound, round += 1) {
  const to = Math.min(total, from + perRound);
  const sides = [() => openLoop(from, to, floorCall).then((r) => floor.push(...r)), () => openLoop(from, to, webhookCall).then((r) => results.push(...r))];
  if (round % 2 === 1) sides.reverse();
  for (const side of sides) await side();
}
const elapsed = (performance.now() - started) / 2000; // each side's share
const loadAfter = loadAverage();

// Lost = answered with an error, or answered with a run that does not exist (describe reads the
// execution itself; list reads the eventually consistent visibility store).
async function exists(workflowId: string | undefined): Promise<boolean> {
  if (workflowId === undefined) return false;
  return client.workflow.getHandle(workflowId).describe().then(() => true, () => false);
}
const accepted = results.filter((r) => r.status >= 200 && r.status < 300);
const lost: Sent[] = [];
for (const r of results) if (!(r.status >= 200 && r.status < 300) || !(await exists(r.workflowId))) lost.push(r);

const percentile = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};
const pct = percentile(accepted.map((r) => r.latencyMs));
const floorPct = percentile(floor.filter((r) => r.status === 202).map((r) => r.latencyMs));
const lateP99 = percentile(results.map((r) => r.lateMs))(99);

for (const r of [...results, ...floor]) if (r.workflowId) await client.workflow.getHandle(r.workflowId).terminate('benchmark done').catch(() => undefined);
await server.close();
await connection.close();
if (ownServer) execFileSync(path.join(REPO, 'scripts', 'temporal-dev-server'), ['stop'], { env: serverEnv, stdio: 'ignore' });

const p99 = pct(99);
const report = `### New-data webhook to workflow started — \`bench/webhook-throughput.ts\`

${new Date().toISOString().slice(0, 10)}; ${machineLine()}; load average (1/5/15 min) ${loadBefore} before, ${loadAfter} after.
${total} signed Standard Webhooks deliveries at ${rate}/s open loop (${elapsed.toFixed(1)} s per side, in 10 s rounds alternating with the floor; sender p99 lateness ${lateP99.toFixed(1)} ms), each a new data version, against a Temporal dev server (SQLite) on this machine; latency = POST sent → answer, which the server gives after StartWorkflowExecution returned.

| path | events | rate (/s) | accepted | lost | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | goal p99 ≤ ${GOAL_P99_MS} ms, none lost |
|---|---:|---:|---:|---:|---:|---:|---:|---:|:--|
| webhook → started | ${total} | ${rate} | ${accepted.length} | ${lost.length} | ${pct(50).toFixed(1)} | ${pct(90).toFixed(1)} | ${p99.toFixed(1)} | ${pct(100).toFixed(1)} | ${p99 <= GOAL_P99_MS && lost.length === 0 ? 'met' : `missed (${lost.length} lost, p99 ${p99.toFixed(1)} ms)`} |
| floor: the same start call alone | ${total} | ${rate} | ${floor.filter((r) => r.status === 202).length} | — | ${floorPct(50).toFixed(1)} | ${floorPct(90).toFixed(1)} | ${floorPct(99).toFixed(1)} | ${floorPct(100).toFixed(1)} | — |
`;
console.log(report);
if (lost.length > 0) console.error(`lost events (first 5): ${JSON.stringify(lost.slice(0, 5))}`);
const target = appendTarget(argv);
if (target) await appendReport(target, report);
process.exit(lost.length > 0 ? 1 : 0);
