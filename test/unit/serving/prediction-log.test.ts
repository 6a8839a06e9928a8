import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withDuckDB } from '../../../src/data/duckdb-connection.js';
import type { PredictionRecord } from '../../../src/serving/gateway-contract.js';
import { PredictionLog, readPredictionLog } from '../../../src/serving/prediction-log.js';
import { inferBody, startFakeUpstream } from './gateway-fake-upstream.js';
import { makeDataDir, removeDataDir, routeModel, startTestGateway } from './gateway-test-client.js';

const dataDirs: string[] = [];
const newDataDir = async () => {
  const dir = await makeDataDir();
  dataDirs.push(dir);
  return dir;
};
afterEach(async () => {
  await Promise.all(dataDirs.splice(0).map(removeDataDir));
});

async function filesUnder(directory: string): Promise<string[]> {
  return ((await readdir(directory, { recursive: true, withFileTypes: true })) as { name: string; parentPath: string; isFile(): boolean }[])
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(directory, path.join(entry.parentPath, entry.name)))
    .sort();
}

async function query(sql: string): Promise<Record<string, unknown>[]> {
  return withDuckDB(async (connection) => (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[]);
}

const record = (overrides: Partial<PredictionRecord>): PredictionRecord => ({
  requestId: 'r',
  timestamp: Date.UTC(2025, 4, 1, 7, 30),
  model: 'm',
  version: 1,
  status: 200,
  latencyMs: 1.5,
  score: 0.5,
  features: {},
  ...overrides,
});

describe('prediction log', () => {
  it('logs one row per predicted row of every request through the gateway, in hour partitions the drift monitor can read', async () => {
    const dataDir = await newDataDir();
    const clock = { now: Date.UTC(2025, 4, 1, 12, 59, 59, 500) };
    const upstream = await startFakeUpstream(2, { score: (row) => Number(row.amount) / 100 });
    const gone = await startFakeUpstream(3);
    await gone.close();
    // One flush, at close: a timer flush between two requests of the same hour would split its file.
    const gateway = await startTestGateway({ dataDir, now: () => clock.now, flushIntervalMs: 60_000 });
    try {
      await routeModel(gateway, 'fraud', { 2: upstream.url, 3: gone.url }, { 2: 100 });
      await gateway.infer('fraud', inferBody([{ amount: 40, region: 'eu', first_purchase: true }]), { 'x-request-id': 'one' });
      await gateway.infer('fraud', inferBody([{ amount: 90, region: 'us', first_purchase: false }, { amount: 10, region: 'eu', first_purchase: true }]), { 'x-request-id': 'two' });
      await gateway.infer('fraud', inferBody([{ amount: 5, region: 'eu', first_purchase: false }]), { 'x-request-id': 'lost' }, 3);
      clock.now += 1000; // into the next hour
      await gateway.infer('fraud', inferBody([{ amount: 70, region: 'fr', first_purchase: false }]), { 'x-request-id': 'later' });
    } finally {
      await gateway.close(); // flushes
      await upstream.close();
    }

    const files = await filesUnder(path.join(dataDir, 'predictions'));
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^model=fraud\/date=2025-05-01\/hour=12\/\d+-[0-9a-f]{8}-\d+\.parquet$/);
    expect(files[1]).toMatch(/^model=fraud\/date=2025-05-01\/hour=13\/\d+-[0-9a-f]{8}-\d+\.parquet$/);

    const glob = path.join(dataDir, 'predictions', 'model=fraud', '**', '*.parquet');
    const read = `read_parquet('${glob}', hive_partitioning = true, union_by_name = true, hive_types = {'date': DATE, 'hour': INTEGER})`;
    const schema = await query(`DESCRIBE SELECT * FROM ${read}`);
    expect(Object.fromEntries(schema.map((column) => [column.column_name, column.column_type]))).toEqual({
      request_id: 'VARCHAR', ts: 'TIMESTAMP', model: 'VARCHAR', version: 'INTEGER', status: 'INTEGER', latency_ms: 'DOUBLE', score: 'DOUBLE', error: 'VARCHAR',
      f_amount: 'DOUBLE', f_first_purchase: 'BOOLEAN', f_region: 'VARCHAR', date: 'DATE', hour: 'INTEGER',
    });
    const rows = await query(
      `SELECT request_id, epoch_ms(ts) AS ts, version, status, score, error IS NOT NULL AS failed, f_amount, f_region, f_first_purchase, hour
       FROM ${read} ORDER BY ts, request_id`,
    );
    const t = Date.UTC(2025, 4, 1, 12, 59, 59, 500);
    expect(rows).toEqual([
      { request_id: 'lost', ts: String(t), version: 3, status: 502, score: null, failed: true, f_amount: 5, f_region: 'eu', f_first_purchase: false, hour: 12 },
      { request_id: 'one', ts: String(t), version: 2, status: 200, score: 0.4, failed: false, f_amount: 40, f_region: 'eu', f_first_purchase: true, hour: 12 },
      { request_id: 'two#0', ts: String(t), version: 2, status: 200, score: 0.9, failed: false, f_amount: 90, f_region: 'us', f_first_purchase: false, hour: 12 },
      { request_id: 'two#1', ts: String(t), version: 2, status: 200, score: 0.1, failed: false, f_amount: 10, f_region: 'eu', f_first_purchase: true, hour: 12 },
      { request_id: 'later', ts: String(t + 1000), version: 2, status: 200, score: 0.7, failed: false, f_amount: 70, f_region: 'fr', f_first_purchase: false, hour: 13 },
    ]);

    const back = await readPredictionLog(dataDir, 'fraud', t, t + 1000);
    expect(back.map((r) => r.requestId).sort()).toEqual(['lost', 'one', 'two#0', 'two#1']);
    expect(back.find((r) => r.requestId === 'one')).toMatchObject({ model: 'fraud', version: 2, status: 200, score: 0.4, features: { amount: 40, region: 'eu', first_purchase: true } });
    expect(back.find((r) => r.requestId === 'lost')!.error).toMatch(/did not answer/);
  });

  it('keeps feature types per model across flushes and reads files with different features together', async () => {
    const dataDir = await newDataDir();
    const log = new PredictionLog({ dataDir, flushIntervalMs: 60_000 });
    log.append(record({ requestId: 'a', features: { amount: 1, region: 'eu' } }));
    await log.flush();
    log.append(record({ requestId: 'b', features: { amount: '2.5', region: 7, extra: true } }));
    log.append(record({ requestId: 'c', features: { amount: 'n/a', region: null } }));
    await log.close();
    expect(log.stats).toMatchObject({ writtenRows: 3, filesWritten: 2, droppedRows: 0, bufferedRows: 0 });
    const back = await readPredictionLog(dataDir, 'm', 0, Date.now());
    expect(back.map((r) => [r.requestId, r.features])).toEqual([
      ['a', { amount: 1, region: 'eu' }],
      ['b', { amount: 2.5, region: '7', extra: true }],
      ['c', {}],
    ]);
  });

  it('drops the oldest rows, and counts them, when writing falls behind its bound', async () => {
    const dataDir = await newDataDir();
    const log = new PredictionLog({ dataDir, flushIntervalMs: 60_000, flushRows: 5, maxBufferedRows: 5 });
    for (let i = 0; i < 12; i++) log.append(record({ requestId: `r${i}` }));
    expect(log.stats).toMatchObject({ bufferedRows: 5, droppedRows: 7 });
    await log.close();
    const back = await readPredictionLog(dataDir, 'm', 0, Date.now());
    expect(back.map((r) => r.requestId).sort()).toEqual(['r10', 'r11', 'r7', 'r8', 'r9']);
  });

  it('flushes on its own when enough rows wait, and never shows a partial file', async () => {
    const dataDir = await newDataDir();
    const log = new PredictionLog({ dataDir, flushIntervalMs: 60_000, flushRows: 1000 });
    const started = performance.now();
    for (let i = 0; i < 3000; i++) log.append(record({ requestId: `r${i}`, features: { amount: i, region: i % 2 ? 'eu' : 'us' } }));
    expect(performance.now() - started).toBeLessThan(100); // append only buffers
    for (let waited = 0; log.stats.writtenRows < 3000 && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log.stats.writtenRows).toBe(3000);
    const files = await filesUnder(path.join(dataDir, 'predictions'));
    expect(files.every((file) => file.endsWith('.parquet') && !path.basename(file).startsWith('.'))).toBe(true);
    await log.close();
    const [{ n }] = (await query(`SELECT count(*) AS n FROM read_parquet('${dataDir}/predictions/model=m/**/*.parquet')`)) as [{ n: string }];
    expect(Number(n)).toBe(3000);
  });
});
