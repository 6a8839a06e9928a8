import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createWorkflowTestEnvironment, type WorkflowTestEnvironment } from '../support/workflow-environment.js';
import { GATEWAY_TOKEN, startServingStack, type ServingStack } from '../support/serving-stack.js';
import { fraudDefinition, makeDataset, writeDefinition } from '../support/pipeline-fixtures.js';
import { openRegistry } from '../../src/registry/open-registry.js';
import { GatewayAdminClient } from '../../src/serving/gateway-admin-client.js';
import { LocalDeployTarget } from '../../src/deploy/local-deploy-target.js';
import { rollBackModel } from '../../src/deploy/manual-rollback.js';
import type { PipelineResult } from '../../workflows/pipeline-status.js';
import { OUTCOME } from '../../workflows/search-attributes.js';

let env: WorkflowTestEnvironment;
let stack: ServingStack;
let dataDir: string;
const stops: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-pipeline-deploy-'));
  stack = await startServingStack(dataDir);
  env = await createWorkflowTestEnvironment({ dataDir });
});
afterAll(async () => {
  for (const stop of stops) await stop();
  await env?.close();
  await stack?.close();
});

const deploy = () => ({
  gateway: { url: stack.gateway.url },
  canary: {
    steps: [{ weight: 50 }], slaWindow: '3s', interval: '1s', metricsWindow: '1s', minChecksWithEvidence: 1,
    sla: { errorRate: { max: 0.03 }, latencyP99Ms: { max: 1000 }, minSamples: 10 }, errorRateTest: { enabled: false },
  },
});

async function runPipeline(dataFile: string, name: string): Promise<{ result: PipelineResult; workflowId: string }> {
  const file = await writeDefinition(dataDir, { ...fraudDefinition(dataFile, { model: 'shop' }), deploy: deploy() }, name);
  const workflowId = `pipeline/shop/${randomUUID()}`;
  const handle = await env.client.workflow.start('modelPipeline', { taskQueue: env.settings.taskQueue, workflowId, args: [{ pipelineFile: file }] });
  return { result: await env.run(() => handle.result()), workflowId };
}

describe('modelPipeline with a deploy section', () => {
  it('registers, canaries and promotes each new version; a manual rollback restores the previous champion', async () => {
    const day1 = await makeDataset(dataDir, 'day1.csv', { seed: 31 });
    const first = await runPipeline(day1, 'day1.yaml');
    expect(first.result).toMatchObject({ outcome: 'promoted', version: 1, canary: { result: 'promoted' } });
    expect(first.result.steps.at(-1)).toMatchObject({ step: 'canary', summary: expect.stringMatching(/^promoted/) });
    expect((await env.client.workflow.getHandle(first.workflowId).describe()).typedSearchAttributes.get(OUTCOME)).toBe('promoted');

    stops.push(stack.startTraffic('shop', 120));
    const day2 = await makeDataset(dataDir, 'day2.csv', { seed: 32 });
    const second = await runPipeline(day2, 'day2.yaml');
    expect(second.result).toMatchObject({ outcome: 'promoted', version: 2 });

    const admin = new GatewayAdminClient(stack.gateway.url, GATEWAY_TOKEN);
    expect(Object.fromEntries((await admin.routes('shop'))!.routes.map((r) => [r.version, r.weight]))).toEqual({ 1: 0, 2: 100 });

    // A human rolls back: traffic and the champion alias go back to v1 at once.
    const registry = await openRegistry({ kind: 'embedded' }, { dataDir });
    try {
      const target = new LocalDeployTarget({ dataDir, gatewayUrl: stack.gateway.url, gatewayToken: GATEWAY_TOKEN });
      const rolled = await rollBackModel({ model: 'shop', registry, target, by: 'tester' });
      expect(rolled).toMatchObject({ from: 2, to: 1 });
      expect(Object.fromEntries((await admin.routes('shop'))!.routes.map((r) => [r.version, r.weight]))).toEqual({ 1: 100, 2: 0 });
      expect((await registry.getVersionByAlias('shop', 'champion'))?.version).toBe(1);
      expect((await registry.getVersion('shop', 2))?.status).toBe('rejected');
      // Running it again changes nothing.
      await expect(rollBackModel({ model: 'shop', to: 1, registry, target, by: 'tester' })).resolves.toMatchObject({ to: 1 });
    } finally {
      await registry.close();
    }
  });
});
