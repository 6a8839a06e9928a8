import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { access, mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createWorkflowTestEnvironment, type WorkflowTestEnvironment } from '../support/workflow-environment.js';
import { startServingStack, type ServingStack } from '../support/serving-stack.js';
import { startPagerDutyReceiver, type AlertReceiver, PagerDutyEvent } from '../support/alert-receiver.js';
import { fraudDefinition, makeDataset, writeDefinition } from '../support/pipeline-fixtures.js';
import { applySchedules } from '../../src/temporal/schedules.js';
import { generateFraudTable } from '../../src/data/generate.js';
import { sendTraffic } from '../../src/serving/traffic-generator.js';
import type { PipelineResult } from '../../workflows/pipeline-status.js';
import type { DriftMonitorResult } from '../../workflows/driftMonitor.js';
import type { DriftReport } from '../../src/drift/drift-report.js';

let env: WorkflowTestEnvironment;
let stack: ServingStack;
let pagerduty: AlertReceiver;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-drift-'));
  stack = await startServingStack(dataDir);
  pagerduty = await startPagerDutyReceiver();
  process.env.TEST_PD_ROUTING_KEY = 'r'.repeat(32);
  env = await createWorkflowTestEnvironment({ dataDir });
});
afterAll(async () => {
  await env?.close();
  await stack?.close();
  await pagerduty?.close();
});

async function waitForRun(query: string, timeoutMs = 60_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ids: string[] = [];
    for await (const execution of env.client.workflow.list({ query })) ids.push(execution.workflowId);
    if (ids.length > 0 || Date.now() > deadline) return ids;
    await sleep(300);
  }
}

describe('driftMonitor', () => {
  it('runs from its schedule, reports drift injected into traffic, alerts PagerDuty and starts exactly one retraining', async () => {
    const model = `drifty-${randomUUID().slice(0, 8)}`;
    const data = await makeDataset(dataDir, `${model}.csv`, { rows: 5000, seed: 41 });
    const definition = {
      ...fraudDefinition(data, { model }),
      deploy: {
        gateway: { url: stack.gateway.url },
        canary: { steps: [{ weight: 50 }], slaWindow: '2s', interval: '1s', metricsWindow: '1s', minChecksWithEvidence: 1, sla: { minSamples: 5 }, errorRateTest: { enabled: false } },
      },
      monitor: { drift: { schedule: '0 3 * * *', window: '30m', minRows: 200, onDrift: ['alert', 'retrain'] } },
      alerts: { pagerduty: { routingKeyEnv: 'TEST_PD_ROUTING_KEY', url: pagerduty.url } },
    };
    const file = await writeDefinition(dataDir, definition as never, `${model}.yaml`);

    // v1 becomes champion (nothing to compare with) with its reference profile.
    const first = await env.run(async () => (await env.client.workflow.start('modelPipeline', { taskQueue: env.settings.taskQueue, workflowId: `pipeline/${model}/${randomUUID()}`, args: [{ pipelineFile: file }] })).result() as Promise<PipelineResult>);
    expect(first.outcome).toBe('promoted');

    // Production inputs drift: a changed customer base, sent through the gateway.
    const { table } = generateFraudTable({ rows: 3000, seed: 77, drift: 2, fraudRate: 0.1 });
    const features = table.columns.map((c) => c.name).filter((n) => n !== 'transaction_id' && n !== 'is_fraud');
    await sendTraffic({ gatewayUrl: stack.gateway.url, model, table, features, target: 'is_fraud', requestsPerSecond: 400, durationMs: 2500, labelShare: 0, labelDelayMs: 0 });
    await sleep(1200); // the prediction log flushes every 500 ms

    const applied = await applySchedules(env.client, env.settings, file);
    expect(applied).toEqual([{ scheduleId: `drift/${model}`, action: 'created', cron: '0 3 * * *' }]);
    expect((await applySchedules(env.client, env.settings, file))[0]!.action).toBe('unchanged');
    const schedule = env.client.schedule.getHandle(`drift/${model}`);

    await env.run(async () => {
      await schedule.trigger();
      const [driftRunId] = await waitForRun(`WorkflowType = "driftMonitor" AND Model = "${model}"`);
      expect(driftRunId).toMatch(new RegExp(`^drift/${model}-`));
      const result = (await env.client.workflow.getHandle(driftRunId!).result()) as DriftMonitorResult;

      expect(result.outcome).toBe('drift');
      expect(result.driftedColumns.length).toBeGreaterThan(0);
      const report = JSON.parse(await readFile(path.join(result.reportPath!, 'report.json'), 'utf8')) as DriftReport;
      expect(report.datasetDrift).toBe(true);
      expect(report.version).toBe(1);
      expect(report.currentRows).toBeGreaterThanOrEqual(200);
      await access(path.join(result.reportPath!, 'report.html'));

      const triggers = pagerduty.accepted().filter((r) => (r.json as PagerDutyEvent).dedup_key === `drift/${model}`);
      expect(triggers).toHaveLength(1);
      expect(triggers[0]!.problems).toEqual([]);
      expect((triggers[0]!.json as PagerDutyEvent).event_action).toBe('trigger');

      // The same window checked again (a retry, a second trigger) never retrains twice.
      const again = (await env.client.workflow.execute('driftMonitor', {
        taskQueue: env.settings.taskQueue, workflowId: `drift/${model}/again`, args: [{ pipelineFile: file, windowEnd: new Date(Date.parse(report.window.to)).toISOString() }],
      })) as DriftMonitorResult;
      expect(again.retrainWorkflowId).toBe(result.retrainWorkflowId);
      expect(again.retrainSkipped).toMatch(/^data [0-9a-f]{16} unchanged: already trained by pipeline\//);
      expect(result.retrainSkipped).toBeUndefined();
      const retrains = await waitForRun(`WorkflowType = "modelPipeline" AND Model = "${model}" AND TriggeredBy = "drift"`);
      expect(retrains).toEqual([result.retrainWorkflowId]);
      // Keyed by the data, as `mlops run` and the webhook key theirs.
      expect(result.retrainWorkflowId).toMatch(new RegExp(`^pipeline/${model}/[0-9a-f]{16}$`));
      await env.client.workflow.getHandle(result.retrainWorkflowId!).terminate('test done');
    });
    await schedule.delete();
  });
});
