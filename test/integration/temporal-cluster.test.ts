/**
 * The production topology: the Temporal server built from Go modules, on PostgreSQL
 * (scripts/temporal-cluster). A real pipeline worker from this repo runs modelPipeline on it; the
 * run's history and visibility rows are read back from PostgreSQL, and the run is still there, with
 * the same history, after the server and PostgreSQL are both stopped and started again.
 */
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { startTemporalCluster, type TemporalCluster } from '../support/temporal-cluster.js';
import { fraudDefinition, makeDataset, makeWorkspace, writeDefinition } from '../support/pipeline-fixtures.js';
import { createPipelineWorker } from '../../workers/pipeline-worker.js';
import { permissiveWorkerPolicy } from '../../src/policy/worker-policy.js';
import type { Settings } from '../../src/temporal/settings.js';
import type { PipelineResult } from '../../workflows/pipeline-status.js';
import { DATA_VERSION, MODEL, MODEL_VERSION, OUTCOME, TRIGGER } from '../../workflows/search-attributes.js';

let cluster: TemporalCluster;
let connection: Connection;
let client: Client;

async function connect(): Promise<void> {
  connection = await Connection.connect({ address: cluster.address });
  client = new Client({ connection, namespace: 'default' });
}

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // already installed in this process
  }
  cluster = await startTemporalCluster();
  await connect();
});
afterAll(async () => {
  await connection?.close();
  await cluster?.stop();
});

/** temporal.api.enums.v1.IndexedValueType, as the operator service answers it. */
const INDEXED_VALUE_TYPE = { TEXT: 1, KEYWORD: 2, INT: 3, DOUBLE: 4, BOOL: 5, DATETIME: 6, KEYWORD_LIST: 7 } as const;

it('serves namespace default with every search attribute our workflows set', async () => {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
  for (const key of [MODEL, MODEL_VERSION, OUTCOME, TRIGGER, DATA_VERSION]) {
    expect(customAttributes?.[key.name], key.name).toBe(INDEXED_VALUE_TYPE[key.type]);
  }
});

it('runs modelPipeline on a real worker; its history lives in PostgreSQL and survives a restart', async () => {
  const dir = await makeWorkspace();
  const data = await makeDataset(dir, 'cluster.csv', { seed: 31, rows: 2000 });
  const file = await writeDefinition(dir, fraudDefinition(data, { model: 'cluster-happy', registry: { kind: 'embedded' } }));
  const settings: Settings = {
    temporalAddress: cluster.address,
    namespace: 'default',
    taskQueue: `cluster-${randomUUID()}`,
    dataDir: dir,
    webUiUrl: 'http://127.0.0.1:8233',
  };
  const nativeConnection = await NativeConnection.connect({ address: cluster.address });
  const worker = await createPipelineWorker({
    settings,
    codeVersion: 'test',
    connection: nativeConnection,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    policy: permissiveWorkerPolicy(),
  });
  const workflowId = `cluster/${randomUUID()}`;
  const handle = await client.workflow.start('modelPipeline', {
    taskQueue: settings.taskQueue,
    workflowId,
    args: [{ pipelineFile: file, trigger: 'cli' }],
  });
  const result = (await worker.runUntil(handle.result())) as PipelineResult;
  await nativeConnection.close();

  expect(result.outcome).toBe('registered');
  expect(result.version).toBe(1);
  const description = await handle.describe();
  expect(description.typedSearchAttributes.get(MODEL)).toBe('cluster-happy');
  expect(description.typedSearchAttributes.get(OUTCOME)).toBe('registered');
  expect(description.typedSearchAttributes.get(DATA_VERSION)).toBe(result.dataVersion);
  const history = await handle.fetchHistory();
  const eventTypes = history.events!.map((e) => e.eventType);
  expect(eventTypes.length).toBeGreaterThan(10);

  // Visibility on PostgreSQL answers a query on our search attributes (written asynchronously).
  const listed = async () => {
    const ids: string[] = [];
    for await (const w of client.workflow.list({ query: `Model = "cluster-happy" AND Outcome = "registered"` })) ids.push(w.workflowId);
    return ids;
  };
  for (let i = 0; i < 40 && (await listed()).length === 0; i++) await sleep(250);
  expect(await listed()).toEqual([workflowId]);

  // The rows themselves, read straight from PostgreSQL.
  const runId = description.runId;
  expect(await cluster.psql('temporal', `SELECT count(*) FROM current_executions WHERE workflow_id = '${workflowId}'`)).toBe('1');
  const nodes = Number(await cluster.psql('temporal', `SELECT count(*) FROM history_node WHERE tree_id = decode(replace('${runId}', '-', ''), 'hex')`));
  expect(nodes).toBeGreaterThan(0);
  expect(await cluster.psql('temporal_visibility', `SELECT workflow_type_name, status FROM executions_visibility WHERE workflow_id = '${workflowId}'`)).toBe('modelPipeline|2');

  // Stop the server and PostgreSQL, start both again: the run and its history are still there.
  await connection.close();
  await cluster.restart();
  await connect();
  const again = client.workflow.getHandle(workflowId, runId);
  const after = await again.describe();
  expect(after.status.name).toBe('COMPLETED');
  expect(after.typedSearchAttributes.get(MODEL_VERSION)).toBe(1);
  expect((await again.fetchHistory()).events!.map((e) => e.eventType)).toEqual(eventTypes);
  expect(await again.result()).toEqual(result);
}, 240_000);
