/**
 * Outgrowing one machine: three worker processes, each on a disk of its own (a private mount
 * namespace with an empty tmpfs at the same path: a file one writes does not exist for the others,
 * as on separate hosts), polling one task queue of the Temporal server built
 * from Go modules on PostgreSQL; data sources, snapshots, artifacts and reference profiles in a real
 * S3 server (SeaweedFS); the MLflow registry. Two waves of five concurrent pipelines (first
 * versions, then challengers through canaries, one of them faulty) with one worker SIGKILLed while
 * the canaries run. Every run ends with exactly one registered version and the right outcome, and
 * the histories show steps of one run executed by different workers. Two gateway replicas, each on
 * its own disk, upload their logs to the store; a drift check on the workers reads both from there.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateFraudTable } from '../../src/data/generate.js';
import { startGateway, type RunningGateway } from '../../src/serving/gateway.js';
import { readLogRows } from '../../src/serving/prediction-log-read.js';
import { openBlobStore } from '../../src/storage/open-blob-store.js';
import { sendTraffic } from '../../src/serving/traffic-generator.js';
import type { PipelineDefinitionInput } from '../../src/spec/schema.js';
import type { Settings } from '../../src/temporal/settings.js';
import type { PipelineResult } from '../../workflows/pipeline-status.js';
import type { PerformanceMonitorResult } from '../../src/temporal/performance-monitor-result.js';
import { mlflowApi, startMlflow, type RunningMlflow } from '../support/mlflow-server.js';
import { startObjectStore, type RunningObjectStore } from '../support/object-store-server.js';
import { fraudDefinition, makeDataset, makeWorkspace } from '../support/pipeline-fixtures.js';
import { FEATURES_EXCLUDED } from '../support/serving-stack.js';
import { startTemporalCluster, type TemporalCluster } from '../support/temporal-cluster.js';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.js';

const TOKEN = 'multi-host-token';
const MODELS = ['mh-a', 'mh-b', 'mh-c', 'mh-d', 'mh-e'];
/** This model's challenger is deployed with injected faults: its canary must roll back. */
const FAULTY = 'mh-e';

let cluster: TemporalCluster;
let objects: RunningObjectStore;
let mlflow: RunningMlflow;
/** Two gateway replicas behind every canary, each with its own disk, both uploading their logs to the store. */
let gateway: RunningGateway;
let replicaB: RunningGateway;
let connection: Connection;
let client: Client;
const workers: WorkerProcess[] = [];
/** The same path on every "host"; each worker has its own private disk mounted there. */
let hostDir: string;
const traffic: AbortController[] = [];
let settings: Settings;
let workspace: string;

beforeAll(async () => {
  [cluster, objects, mlflow] = await Promise.all([startTemporalCluster(), startObjectStore('mlops-multi-host'), startMlflow()]);
  // Credentials reach the workers through the SDK's default chain (here: the environment), never the definition.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: objects.accessKeyId, AWS_SECRET_ACCESS_KEY: objects.secretAccessKey, AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true',
    MLOPS_GATEWAY_TOKEN: TOKEN,
  });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  workspace = await makeWorkspace();
  const logStore = openBlobStore({ url: `s3://${objects.bucket}/mlops`, endpoint: objects.endpoint, forcePathStyle: true });
  gateway = await startGateway({ dataDir: path.join(workspace, 'gateway-a'), adminToken: TOKEN, flushIntervalMs: 500, logStore });
  replicaB = await startGateway({ dataDir: path.join(workspace, 'gateway-b'), adminToken: TOKEN, flushIntervalMs: 500, logStore });
  connection = await Connection.connect({ address: cluster.address });
  client = new Client({ connection, namespace: 'default' });
  settings = { temporalAddress: cluster.address, namespace: 'default', taskQueue: `multi-host-${randomUUID()}`, dataDir: '', webUiUrl: 'http://127.0.0.1:8233' };
  hostDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-host-'));
  for (let i = 0; i < 3; i++) workers.push(await startWorkerProcess({ ...settings, dataDir: path.join(hostDir, 'data') }, { privateDir: hostDir }));
}, 300_000);

afterAll(async () => {
  for (const controller of traffic) controller.abort();
  for (const worker of workers) await worker.kill('SIGTERM').catch(() => undefined);
  // The model servers the workers started live in the workers' private mounts: found by their environment.
  await killProcessesWithEnv(`MLOPS_DATA_DIR=${path.join(hostDir, 'data')}`);
  await connection?.close();
  await gateway?.close();
  await replicaB?.close();
  await Promise.all([cluster?.stop(), objects?.stop(), mlflow?.stop()]);
});

/** Each day's data lands in the object store; the definition names it by s3:// URL only. */
async function landData(model: string, day: number): Promise<string> {
  const file = await makeDataset(workspace, `${model}-day${day}.csv`, { seed: 100 * day + MODELS.indexOf(model), rows: 3000 });
  const key = `landing/${model}/day${day}.csv`;
  await objects.client.send(new PutObjectCommand({ Bucket: objects.bucket, Key: key, Body: await readFile(file) }));
  return `s3://${objects.bucket}/${key}`;
}

function definitionFor(model: string, source: string): PipelineDefinitionInput {
  return fraudDefinition(source, {
    model,
    registry: mlflow.registrySection(),
    storage: { url: `s3://${objects.bucket}/mlops`, endpoint: objects.endpoint, forcePathStyle: true },
    deploy: {
      target: 'local',
      gateway: { urls: [gateway.url, replicaB.url] },
      canary: {
        steps: [{ weight: 30 }, { weight: 60 }],
        slaWindow: '6s', interval: '1s', metricsWindow: '1s',
        sla: { errorRate: { max: 0.03 }, latencyP99Ms: { max: 2000 }, minSamples: 10 },
        hardLimits: { errorRate: { max: 0.45 } },
        errorRateTest: { enabled: false },
        consecutiveErrorLimit: 5,
      },
      ...(model === FAULTY ? { faults: { errorRate: 0.3 } } : {}),
    },
    monitor: {
      drift: { schedule: '0 3 * * *', window: '10m', minRows: 50, onDrift: [] },
      performance: { schedule: '0 4 * * *', window: '30s', lookback: '5m', metrics: { roc_auc: { maxDrop: 0.5 } }, minLabels: 20, onDegradation: [] },
    },
  } as Partial<PipelineDefinitionInput>);
}

/** The definition travels in the run's input: no host needs a file. */
async function startRun(model: string, day: number): Promise<WorkflowHandle> {
  return client.workflow.start('modelPipeline', {
    taskQueue: settings.taskQueue,
    workflowId: `multi-host/${model}/${day}/${randomUUID()}`,
    args: [{ pipeline: definitionFor(model, await landData(model, day)), trigger: 'cli' }],
  });
}

/** Clients reach both replicas (as behind a load balancer): half the traffic each. */
function startTraffic(model: string): void {
  const { table } = generateFraudTable({ rows: 3000, seed: 5, fraudRate: 0.1 });
  for (const replica of [gateway, replicaB]) {
    const controller = new AbortController();
    traffic.push(controller);
    void sendTraffic({
      gatewayUrl: replica.url, model, table, target: 'is_fraud', requestsPerSecond: 20, durationMs: 10 * 60_000,
      features: table.columns.map((c) => c.name).filter((n) => !FEATURES_EXCLUDED.includes(n)), labelShare: 0.5, labelDelayMs: 200, signal: controller.signal,
    });
  }
}

/** The JSON results of a run's completed activities of one type. */
async function activityResults<T>(handle: WorkflowHandle, activity: string): Promise<T[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activity).map((e) => String(e.eventId)));
  return events
    .filter((e) => e.activityTaskCompletedEventAttributes && scheduled.has(String(e.activityTaskCompletedEventAttributes.scheduledEventId)))
    .map((e) => JSON.parse(Buffer.from(e.activityTaskCompletedEventAttributes!.result!.payloads![0]!.data!).toString('utf8')) as T);
}

/**
 * The runs' results; past `ms`, a failure naming where each unfinished run stands (its pending
 * activities, attempts and last failure, and its child workflows), instead of a silent test timeout.
 */
async function resultsWithin(handles: WorkflowHandle[], ms: number, wave: string): Promise<PipelineResult[]> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  const all = Promise.all(handles.map((handle) => handle.result() as Promise<PipelineResult>));
  const settled = await Promise.race([all, late]).finally(() => clearTimeout(timer));
  if (settled !== 'late') return settled;
  const describeRun = async (workflowId: string): Promise<string> => {
    const description = await client.workflow.getHandle(workflowId).describe();
    const pending = (description.raw.pendingActivities ?? []).map((a) => `${a.activityType?.name} attempt ${a.attempt}${a.lastFailure?.message ? ` (${a.lastFailure.message.slice(0, 200)})` : ''}`);
    const children = (description.raw.pendingChildren ?? []).map((c) => c.workflowId ?? '?');
    const nested = await Promise.all(children.map((id) => describeRun(id).catch((error: Error) => `${id}: ${error.message}`)));
    return `${workflowId} ${description.status.name}: pending [${pending.join('; ')}]${nested.length ? `; children { ${nested.join(' | ')} }` : ''}`;
  };
  const states = await Promise.all(handles.map((handle) => describeRun(handle.workflowId).catch((error: Error) => `${handle.workflowId}: ${error.message}`)));
  throw new Error(`${wave} not finished after ${ms / 1000} s:\n${states.join('\n')}`);
}

/** Which worker (Temporal's identity of the poller) started each activity of a run, in order. */
async function activityWorkers(handle: WorkflowHandle): Promise<{ activity: string; identity: string }[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const typeByScheduledId = new Map<string, string>();
  for (const event of events) {
    if (event.activityTaskScheduledEventAttributes) typeByScheduledId.set(String(event.eventId), event.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
  }
  return events
    .filter((event) => event.activityTaskStartedEventAttributes)
    .map((event) => ({
      activity: typeByScheduledId.get(String(event.activityTaskStartedEventAttributes!.scheduledEventId)) ?? '?',
      identity: event.activityTaskStartedEventAttributes!.identity ?? '?',
    }));
}

async function mlflowVersions(model: string): Promise<{ version: string; tags?: { key: string; value: string }[] }[]> {
  const answer = await mlflowApi<{ model_versions?: { version: string; tags?: { key: string; value: string }[] }[] }>(mlflow.url, 'GET', 'model-versions/search', { filter: `name='${model}'` });
  return answer.model_versions ?? [];
}

it('runs five pipelines at once on three workers that share nothing on disk, survives a SIGKILL, and registers each version once', async () => {
  // Wave 1: the first version of each model (promoted directly: nothing to compare with).
  const first = await Promise.all(MODELS.map((model) => startRun(model, 1)));
  const firstResults = await resultsWithin(first, 240_000, 'wave 1');
  expect(firstResults.map((r) => [r.outcome, r.version])).toEqual(MODELS.map(() => ['promoted', 1]));
  for (const model of MODELS) startTraffic(model);

  // Wave 2: challengers through canaries; one worker is killed while they run.
  const second = await Promise.all(MODELS.map((model) => startRun(model, 2)));
  const killed = workers[0]!;
  for (let i = 0; i < 600 && !(await anyCanaryRunning()); i++) await sleep(100);
  await killed.kill('SIGKILL');
  const secondResults = await resultsWithin(second, 240_000, 'wave 2');

  for (const [index, model] of MODELS.entries()) {
    const result = secondResults[index]!;
    expect(result.version, model).toBe(2);
    expect(result.outcome, `${model}: ${result.canary?.reason ?? result.reasons.join('; ')}`).toBe(model === FAULTY ? 'rolled-back' : 'promoted');
    // Exactly one registered version per run: retries after the kill created no duplicate.
    expect((await mlflowVersions(model)).map((v) => v.version).sort(), model).toEqual(['1', '2']);
  }

  // Steps of one run ran on different workers, and nothing was on a shared disk: the snapshot and
  // the artifact reached them through the object store.
  const identities = await Promise.all([...first, ...second].map(activityWorkers));
  console.log(`killed worker pid ${killed.process.pid}; activities per run (worker identity = pid@host):\n${identities.map((steps, i) => `  ${i < 5 ? 'wave 1' : 'wave 2'} ${MODELS[i % 5]}: ${steps.map((s) => `${s.activity}@${s.identity.split('@')[0]}`).join(' ')}`).join('\n')}`);
  const mixed = identities.filter((steps) => new Set(steps.map((s) => s.identity)).size > 1);
  expect(mixed.length, JSON.stringify(identities.map((steps) => steps.map((s) => `${s.activity}@${s.identity}`)), null, 1)).toBeGreaterThan(0);
  const trainedElsewhere = identities.some((steps) => {
    const snapshot = steps.find((s) => s.activity === 'snapshotData')?.identity;
    const later = steps.filter((s) => ['trainModel', 'evaluateModel', 'registerModelVersion'].includes(s.activity)).map((s) => s.identity);
    return snapshot !== undefined && later.some((identity) => identity !== snapshot);
  });
  expect(trainedElsewhere).toBe(true);
  const shared = await objects.client.send(new ListObjectsV2Command({ Bucket: objects.bucket, Prefix: 'mlops/sha256/' }));
  expect(shared.KeyCount ?? 0).toBeGreaterThanOrEqual(10 * 2);

  // A drift check on the workers, whose disks hold no log: each partition activity reads the
  // window from the store, where both replicas uploaded their log files; it counts every row of both.
  for (const controller of traffic) controller.abort();
  await sleep(1_500); // requests in flight finish and the last flush (every 500 ms) writes its files
  // Uploads run behind the writes (seconds behind on a loaded machine): wait until every file both
  // replicas wrote is in the store with its bytes, which is the guarantee the drift check relies on.
  const uploadedIn = await untilLogsUploaded(['gateway-a', 'gateway-b'], 'mh-a', 120_000);
  console.log(`every prediction and label log file of both replicas was in the store ${uploadedIn} ms after the traffic stopped`);
  const windowEnd = Date.now() - 1_000;
  const drift = await client.workflow.start('driftMonitor', {
    taskQueue: settings.taskQueue, workflowId: `multi-host/drift/${randomUUID()}`,
    args: [{ pipeline: definitionFor('mh-a', 's3://unused/x.csv'), windowEnd: new Date(windowEnd).toISOString(), fanOut: true }],
  });
  const driftResult = (await drift.result()) as { outcome: string; reportUrl?: string };
  expect(['drift', 'no-drift']).toContain(driftResult.outcome);
  // The report is on one worker's private disk, and in the store for everyone else.
  expect(driftResult.reportUrl).toMatch(new RegExp(`^s3://${objects.bucket}/mlops/reports/drift/mh-a/[^/]+/report\\.html$`));
  const reportKey = driftResult.reportUrl!.slice(`s3://${objects.bucket}/`.length);
  const reportObjects = await objects.client.send(new ListObjectsV2Command({ Bucket: objects.bucket, Prefix: reportKey.replace(/report\.html$/, '') }));
  expect((reportObjects.Contents ?? []).map((o) => path.basename(o.Key!)).sort()).toEqual(expect.arrayContaining(['report.html', 'report.json']));
  const partitions = await activityResults<{ rows: number }>(drift, 'profileDriftPartition');
  const rowsOf = async (replica: string) => (await readLogRows(path.join(workspace, replica, 'predictions', 'model=mh-a'), windowEnd - 10 * 60_000, windowEnd, 'ts')).length;
  const [rowsA, rowsB] = await Promise.all([rowsOf('gateway-a'), rowsOf('gateway-b')]);
  expect(rowsA).toBeGreaterThan(0);
  expect(rowsB).toBeGreaterThan(0);
  expect(partitions.reduce((sum, p) => sum + p.rows, 0)).toBe(rowsA + rowsB);

  // The performance check on the workers joins both replicas' predictions and labels from the store,
  // and fits CBPE on the training snapshot fetched from the store by its sha256.
  const performance = (await client.workflow.execute('performanceMonitor', {
    taskQueue: settings.taskQueue, workflowId: `multi-host/performance/${randomUUID()}`,
    args: [{ pipeline: definitionFor('mh-a', 's3://unused/x.csv'), asOf: new Date(windowEnd).toISOString() }],
  }).catch((err: Error & { cause?: Error & { cause?: Error } }) => {
    throw new Error(`performanceMonitor failed: ${err.cause?.cause?.message ?? err.cause?.message ?? err.message}`);
  })) as PerformanceMonitorResult;
  const labelled = performance.windows.filter((w) => w.labelCoverage > 0);
  expect(labelled.length, JSON.stringify(performance.windows.map((w) => [w.version, w.start, w.labelCoverage, w.incompleteBecause]))).toBeGreaterThan(0);
  expect(labelled.some((w) => w.metrics.some((m) => m.realised !== null && m.estimated !== null))).toBe(true);
}, 600_000);

/** Waits until every prediction and label log file of the replicas is in the store with the same size; returns the ms it took. */
async function untilLogsUploaded(replicas: string[], model: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let missing: string[] = [];
  while (Date.now() - started < timeoutMs) {
    const local = new Map<string, number>();
    for (const replica of replicas) {
      const root = path.join(workspace, replica);
      const logs = ['predictions', 'labels'].map((log) => path.join(root, log, `model=${model}`));
      for (const entry of (await Promise.all(logs.map((dir) => readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])))).flat()) {
        if (!entry.isFile() || !entry.name.endsWith('.parquet')) continue;
        const file = path.join(entry.parentPath, entry.name);
        local.set(['mlops', 'logs', ...path.relative(root, file).split(path.sep)].join('/'), (await stat(file)).size);
      }
    }
    const stored = new Map<string, number>();
    let token: string | undefined;
    for (const log of ['predictions', 'labels']) {
      do {
        const page = await objects.client.send(new ListObjectsV2Command({ Bucket: objects.bucket, Prefix: `mlops/logs/${log}/model=${model}/`, ContinuationToken: token }));
        for (const object of page.Contents ?? []) stored.set(object.Key!, object.Size ?? -1);
        token = page.NextContinuationToken;
      } while (token);
    }
    missing = [...local].filter(([key, size]) => stored.get(key) !== size).map(([key]) => key);
    if (local.size > 0 && missing.length === 0) return Date.now() - started;
    await sleep(250);
  }
  throw new Error(`log files not in the store after ${timeoutMs} ms: ${missing.join(', ')}`);
}

async function anyCanaryRunning(): Promise<boolean> {
  for await (const execution of client.workflow.list({ query: `WorkflowType = "canaryRollout" AND ExecutionStatus = "Running"` })) {
    if (execution.workflowId.includes('mh-')) return true;
  }
  return false;
}

async function killProcessesWithEnv(entry: string): Promise<void> {
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (environ.split('\0').includes(entry)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
}
