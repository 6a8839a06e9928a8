/**
 * What canary workflow tests share: a real serving stack and worker, drill definitions with short
 * windows, a champion taking traffic, and readers for status, alerts and the registry.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { createWorkflowTestEnvironment, type WorkflowTestEnvironment } from './workflow-environment.js';
import { GATEWAY_TOKEN, startServingStack, type ServingStack } from './serving-stack.js';
import { PipelineDefinition, type PipelineDefinitionInput } from '../../src/spec/schema.js';
import { openRegistry } from '../../src/registry/open-registry.js';
import { GatewayAdminClient } from '../../src/serving/gateway-admin-client.js';
import { canaryStatusQuery } from '../../src/temporal/contract.js';
import type { CanaryOutcome, CanaryStatus } from '../../src/temporal/canary-status.js';
import type { CanaryRolloutInput } from '../../workflows/canaryRollout.js';
import type { TrafficOptions } from '../../src/serving/traffic-generator.js';

export interface CanaryHarness {
  env: WorkflowTestEnvironment;
  stack: ServingStack;
  admin: GatewayAdminClient;
  dataDir: string;
  /** Short windows come from the definition, as a user would write them for a drill. */
  definition(model: string, deploy?: Partial<NonNullable<PipelineDefinitionInput['deploy']>>, canary?: Record<string, unknown>): PipelineDefinition;
  rollout(input: CanaryRolloutInput): Promise<{ handle: WorkflowHandleWithFirstExecutionRunId; result: Promise<CanaryOutcome> }>;
  /** A model with a champion (v1, promoted directly) taking all traffic, plus a candidate v2. */
  modelWithChampion(name: string, trafficPerSecond?: number): Promise<{ champion: number; candidate: number }>;
  startTraffic(model: string, requestsPerSecond: number, kpi?: TrafficOptions['kpi']): void;
  waitForStatus(handle: WorkflowHandle, predicate: (s: CanaryStatus) => boolean, timeoutMs?: number): Promise<CanaryStatus>;
  alerts(): Promise<{ kind: string; version?: number; model: string; summary: string }[]>;
  registryState(model: string): Promise<{ champion?: number; versions: Awaited<ReturnType<Awaited<ReturnType<typeof openRegistry>>['listVersions']>> }>;
  /** How many runs the rollout has had so far: its first, and each it continued as new into. */
  runs(handle: WorkflowHandleWithFirstExecutionRunId): Promise<number>;
  /** [version, weight] pairs the gateway routes for `model`. */
  weights(model: string): Promise<number[][]>;
  close(): Promise<void>;
}

export async function startCanaryHarness(prefix: string): Promise<CanaryHarness> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `mlops-${prefix}-`));
  const stack = await startServingStack(dataDir);
  const env = await createWorkflowTestEnvironment({ dataDir });
  const admin = new GatewayAdminClient(stack.gateway.url, GATEWAY_TOKEN);
  const stops: Array<() => Promise<unknown>> = [];

  const harness: CanaryHarness = {
    env, stack, admin, dataDir,
    definition(model, deploy = {}, canary = {}) {
      return PipelineDefinition.parse({
        model,
        data: { source: 'unused.csv', target: 'is_fraud' },
        deploy: {
          gateway: { url: stack.gateway.url },
          ...deploy,
          canary: {
            steps: [{ weight: 30 }, { weight: 60 }],
            slaWindow: '4s',
            interval: '1s',
            metricsWindow: '1s',
            sla: { errorRate: { max: 0.03 }, latencyP99Ms: { max: 1000 }, minSamples: 10 },
            hardLimits: { errorRate: { max: 0.45 } },
            errorRateTest: { enabled: false },
            consecutiveErrorLimit: 3,
            ...canary,
          },
        },
      });
    },
    async rollout(input) {
      const handle = await env.client.workflow.start('canaryRollout', {
        taskQueue: env.settings.taskQueue,
        workflowId: `canary/${input.definition.model}/${input.canaryVersion}/${randomUUID()}`,
        args: [input],
      });
      return { handle, result: handle.result() as Promise<CanaryOutcome> };
    },
    async modelWithChampion(name, trafficPerSecond = 120) {
      const [champion, candidate] = await stack.registerVersions(name, 2);
      const first = await harness.rollout({ definition: harness.definition(name), canaryVersion: champion! });
      expect(await env.run(() => first.result)).toMatchObject({ result: 'promoted', version: champion });
      if (trafficPerSecond > 0) harness.startTraffic(name, trafficPerSecond);
      return { champion: champion!, candidate: candidate! };
    },
    startTraffic(model, requestsPerSecond, kpi) {
      stops.push(stack.startTraffic(model, requestsPerSecond, kpi));
    },
    async waitForStatus(handle, predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // A run that just continued as new may not answer a query until its first workflow task.
        const status = await handle.query(canaryStatusQuery).catch((err: Error) => {
          if (Date.now() > deadline) throw err;
          return undefined;
        });
        if (status && predicate(status)) return status;
        if (status && Date.now() > deadline) throw new Error(`status never matched; last: ${JSON.stringify({ phase: status.phase, weight: status.weight, decision: status.analysis.decision, events: status.events.slice(-3) })}`);
        await sleep(100);
      }
    },
    async alerts() {
      const text = await readFile(path.join(dataDir, 'alerts.jsonl'), 'utf8').catch(() => '');
      return text.split('\n').filter(Boolean).map((line) => JSON.parse(line));
    },
    async registryState(model) {
      const registry = await openRegistry({ kind: 'embedded' }, { dataDir });
      try {
        return { champion: (await registry.getVersionByAlias(model, 'champion'))?.version, versions: await registry.listVersions(model) };
      } finally {
        await registry.close();
      }
    },
    async runs(handle) {
      let runs = 1;
      let runId: string | undefined = handle.firstExecutionRunId;
      while (runId) {
        const history = await env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
        const last = (history.events ?? []).at(-1);
        runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
        if (runId) runs++;
      }
      return runs;
    },
    async weights(model) {
      return (await admin.routes(model))!.routes.map((route) => [route.version, route.weight]);
    },
    async close() {
      for (const stop of stops) await stop();
      await env.close();
      await stack.close();
    },
  };
  return harness;
}
