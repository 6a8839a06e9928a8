/**
 * Shadow traffic before the canary (deploy.shadow), on the dev server with a real gateway, model
 * servers and traffic: the gateway mirrors requests to the new version off the response path,
 * logs its answers beside the champion's, and the shadow gates decide before any live traffic
 * moves. A challenger that disagrees with the champion (trained on random labels) is rolled back
 * with the gates' reasons and never takes a request; a good one goes on to its canary. The client
 * only ever receives the versions that take live traffic (x-model-version on every answer).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createWorkflowTestEnvironment, type WorkflowTestEnvironment } from '../support/workflow-environment.js';
import { GATEWAY_TOKEN, startServingStack, type ServingStack } from '../support/serving-stack.js';
import { fraudDefinition, makeDataset, writeDefinition } from '../support/pipeline-fixtures.js';
import { GatewayAdminClient } from '../../src/serving/gateway-admin-client.js';
import { readLogRows } from '../../src/serving/prediction-log-read.js';
import { canaryStatusQuery } from '../../src/temporal/contract.js';
import type { CanaryStatus } from '../../src/temporal/canary-status.js';
import type { PipelineResult } from '../../workflows/pipeline-status.js';

let env: WorkflowTestEnvironment;
let stack: ServingStack;
let dataDir: string;
const model = `shadow-${randomUUID().slice(0, 6)}`;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-shadow-'));
  stack = await startServingStack(dataDir);
  env = await createWorkflowTestEnvironment({ dataDir });
});
afterAll(async () => {
  await env?.close();
  await stack?.close();
});

async function runPipeline(seed: number, labelNoise = 0): Promise<PipelineResult> {
  const data = await makeDataset(dataDir, `${model}-${seed}.csv`, { seed, labelNoise });
  const file = await writeDefinition(dataDir, {
    ...fraudDefinition(data, { model }),
    // No quality gate: the bad challenger must reach deployment for the shadow phase to judge it.
    evaluate: { holdout: 0.25, seed: 3, gates: {} },
    deploy: {
      gateway: { url: stack.gateway.url },
      shadow: { percent: 100, duration: '4s', gates: { minAgreement: 0.9, maxScoreDrift: 0.2, maxErrorRate: 0.05, maxP99: 1000, minSamples: 50 } },
      canary: {
        steps: [{ weight: 50 }], slaWindow: '3s', interval: '1s', metricsWindow: '1s', minChecksWithEvidence: 1,
        sla: { errorRate: { max: 0.05 }, latencyP99Ms: { max: 1000 }, minSamples: 5 }, errorRateTest: { enabled: false },
      },
    },
  } as never, `${model}-${seed}.yaml`);
  return (await env.run(async () => (await env.client.workflow.start('modelPipeline', { taskQueue: env.settings.taskQueue, workflowId: `pipeline/${model}/${randomUUID()}`, args: [{ pipelineFile: file }] })).result())) as PipelineResult;
}

describe('shadow traffic before the canary', () => {
  it('stops a disagreeing challenger before any live traffic and lets a good one through; clients never get a shadow answer', async () => {
    expect(await runPipeline(81)).toMatchObject({ outcome: 'promoted', version: 1 });
    const stopTraffic = stack.startTraffic(model, 100);

    const bad = await runPipeline(82, 0.5);
    expect(bad).toMatchObject({ outcome: 'rolled-back', version: 2 });
    expect(bad.canary?.reason).toMatch(/^shadow gates failed before any live traffic: .*agreement 0\.\d+ < min 0\.9/);

    const good = await runPipeline(83);
    expect(good).toMatchObject({ outcome: 'promoted', version: 3 });
    const goodStatus = (await env.client.workflow.getHandle(`canary/${model}/3`).query(canaryStatusQuery)) as CanaryStatus;
    expect(goodStatus.shadow).toMatchObject({ passed: true, reasons: [] });
    const [, mirrored, paired] = /^shadow: (\d+) mirrored, (\d+) paired; agreement (?:0\.9\d*|1),/.exec(goodStatus.shadow!.summary) ?? [];
    expect(Number(paired)).toBeGreaterThanOrEqual(50);
    expect(Number(paired)).toBeLessThanOrEqual(Number(mirrored)); // one snapshot of the logs: a pair is a mirrored request

    const traffic = await stopTraffic();
    // Every answer a client got came from a version taking live traffic: never from the shadowed v2.
    expect(Object.keys(traffic.byVersion).sort()).toEqual(['1', '3']);
    // v2 never had a weight above 0 in any committed route table; the mirror is gone.
    const admin = new GatewayAdminClient(stack.gateway.url, GATEWAY_TOKEN);
    const changes = await admin.routeChanges(model);
    for (const change of changes) expect(change.weights['2'] ?? 0).toBe(0);
    expect(changes.some((change) => change.mirror?.version === 2)).toBe(true);
    expect((await admin.routes(model))!.mirror).toBeUndefined();

    // Both answers are logged: v2's under the same request ids as the champion's.
    const shadowRows = await readLogRows(path.join(dataDir, 'shadow-predictions', `model=${model}`), 0, Date.now() + 60_000, 'ts');
    const primaryIds = new Set((await readLogRows(path.join(dataDir, 'predictions', `model=${model}`), 0, Date.now() + 60_000, 'ts')).map((row) => row.request_id));
    const v2 = shadowRows.filter((row) => row.version === 2);
    expect(v2.length).toBeGreaterThan(50);
    expect(v2.filter((row) => primaryIds.has(row.request_id)).length / v2.length).toBeGreaterThan(0.95);
  });
});
