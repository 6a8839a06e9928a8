/**
 * A drift check over a window of several hourly partitions profiles each hour in its own activity
 * (any worker may run it; the profiles pass through the blob store) and merges them: the report
 * equals the one-pass report of the same window, column by column (the window is below the
 * profile's sample size, where merging is exact).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createWorkflowTestEnvironment, type WorkflowTestEnvironment } from '../support/workflow-environment.js';
import { fraudDefinition, makeDataset, writeDefinition } from '../support/pipeline-fixtures.js';
import { generateFraudTable } from '../../src/data/generate.js';
import { PredictionLog } from '../../src/serving/prediction-log.js';
import { openRegistry } from '../../src/registry/open-registry.js';
import type { PipelineResult } from '../../workflows/pipeline-status.js';
import type { DriftMonitorResult } from '../../workflows/driftMonitor.js';
import type { DriftReport } from '../../src/drift/drift-report.js';

const HOUR = 3_600_000;
let env: WorkflowTestEnvironment;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-drift-fan-out-'));
  env = await createWorkflowTestEnvironment({ dataDir });
});
afterAll(async () => {
  await env?.close();
});

describe('driftMonitor over many hourly partitions', () => {
  it('profiles each hour in its own activity and gives the report of the single pass', async () => {
    const model = `fan-${randomUUID().slice(0, 8)}`;
    const data = await makeDataset(dataDir, `${model}.csv`, { rows: 5000, seed: 51 });
    const file = await writeDefinition(dataDir, {
      ...fraudDefinition(data, { model }),
      monitor: { drift: { schedule: '0 3 * * *', window: '4h', minRows: 200, onDrift: [] } },
    } as never, `${model}.yaml`);
    const trained = await env.run(async () => (await env.client.workflow.start('modelPipeline', { taskQueue: env.settings.taskQueue, workflowId: `pipeline/${model}/${randomUUID()}`, args: [{ pipelineFile: file }] })).result() as Promise<PipelineResult>);
    const registry = await openRegistry({ kind: 'embedded' }, { dataDir });
    await registry.setAlias(model, 'champion', trained.version, 'test');
    await registry.close();

    // Four hours of logged predictions, the last two drifted; the window ends mid-hour, so its first and last hours are partial.
    const end = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR + 20 * 60_000;
    const start = end - 4 * HOUR;
    const log = new PredictionLog({ dataDir });
    await log.open();
    for (let hour = 0; hour < 5; hour++) {
      const { table } = generateFraudTable({ rows: 900, seed: 600 + hour, drift: hour >= 2 ? 1.5 : 0, fraudRate: 0.1 });
      const columns = table.columns.filter((column) => column.name !== 'transaction_id' && column.name !== 'is_fraud');
      for (let row = 0; row < table.rowCount; row++) {
        const features: Record<string, string | number> = {};
        for (const column of columns) features[column.name] = column.kind === 'categorical' ? column.dictionary[column.codes[row]!]! : column.values[row]!;
        const timestamp = Math.floor(start / HOUR) * HOUR + hour * HOUR + row * 4000;
        log.append({ requestId: `${model}-${hour}-${row}`, timestamp, model, version: trained.version, status: 200, latencyMs: 1, score: 0.1, features });
      }
    }
    await log.close();

    const check = async (fanOut: boolean | undefined) => {
      const workflowId = `drift/${model}/${String(fanOut)}`;
      const result = (await env.run(() => env.client.workflow.execute('driftMonitor', {
        taskQueue: env.settings.taskQueue, workflowId, args: [{ pipelineFile: file, windowEnd: new Date(end).toISOString(), ...(fanOut !== undefined && { fanOut }) }],
      }))) as DriftMonitorResult;
      const report = JSON.parse(await readFile(path.join(result.reportPath!, 'report.json'), 'utf8')) as DriftReport;
      const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
      const activities = history.events!.flatMap((event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
      return { result, report, activities };
    };
    const fanned = await check(true);
    const single = await check(false);
    // By default a 4-hour window is fanned out, but its quiet hours (far below 64 MB) form one partition.
    const auto = await check(undefined);
    expect(auto.activities.filter((name) => name === 'profileDriftPartition')).toHaveLength(1);
    expect(auto.report.currentRows).toBe(single.report.currentRows);

    expect(fanned.activities.filter((name) => name === 'profileDriftPartition')).toHaveLength(5);
    expect(fanned.activities).not.toContain('computeDrift');
    expect(single.activities).toContain('computeDrift');
    expect(fanned.result.outcome).toBe(single.result.outcome);
    expect(fanned.result.driftedColumns.length).toBeGreaterThan(0);
    expect(fanned.report.currentRows).toBe(single.report.currentRows);
    expect(fanned.report.currentRows).toBeGreaterThan(3000);
    expect(fanned.report.currentRows).toBeLessThan(4500);
    // Everything equal: counts, verdicts and test statistics exactly; means and deviations up to the
    // last bits of a double (Chan's merge adds in another order than one pass).
    const { generatedAt: _a, ...fannedRest } = fanned.report;
    const { generatedAt: _b, ...singleRest } = single.report;
    expectSameReport(fannedRest, singleRest, 'report');
    // The partition profiles went through the blob store and were removed once merged.
    const left = await readdir(path.join(dataDir, 'blobs', 'drift-partitions', model)).catch(() => []);
    for (const folder of left) expect(await readdir(path.join(dataDir, 'blobs', 'drift-partitions', model, folder))).toEqual([]);
  });
});

function expectSameReport(actual: unknown, expected: unknown, where: string): void {
  if (typeof actual === 'number' && typeof expected === 'number') {
    if (Number.isInteger(expected) || !Number.isFinite(expected)) expect(actual, where).toBe(expected);
    else expect(Math.abs(actual - expected), where).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(expected)));
    return;
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), where).toBe(true);
    expect((actual as unknown[]).length, `${where}.length`).toBe(expected.length);
    expected.forEach((item, index) => expectSameReport((actual as unknown[])[index], item, `${where}[${index}]`));
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort(), `${where} keys`).toEqual(Object.keys(expected).sort());
    for (const [key, value] of Object.entries(expected)) expectSameReport((actual as Record<string, unknown>)[key], value, `${where}.${key}`);
    return;
  }
  expect(actual, where).toEqual(expected);
}
