/**
 * `mlops history` against the live dev server: a pipeline run shows up as its start and its
 * result, merged with the registry's record of the version it registered, in time order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createWorkflowTestEnvironment, type WorkflowTestEnvironment } from '../support/workflow-environment.js';
import { fraudDefinition, makeDataset, writeDefinition } from '../support/pipeline-fixtures.js';
import { collectModelHistory } from '../../src/audit/model-history.js';
import { openRegistry } from '../../src/registry/open-registry.js';
import type { PipelineResult } from '../../workflows/pipeline-status.js';

let env: WorkflowTestEnvironment;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-history-'));
  env = await createWorkflowTestEnvironment({ dataDir });
});
afterAll(async () => {
  await env?.close();
});

describe('mlops history with workflow histories', () => {
  it('shows the training run from its history beside the registration, in time order', async () => {
    const model = `hist-${randomUUID().slice(0, 8)}`;
    const data = await makeDataset(dataDir, `${model}.csv`, { rows: 3000, seed: 5 });
    const file = await writeDefinition(dataDir, fraudDefinition(data, { model }), `${model}.yaml`);
    const workflowId = `pipeline/${model}/${randomUUID()}`;
    const result = await env.run(async () => (await env.client.workflow.start('modelPipeline', { taskQueue: env.settings.taskQueue, workflowId, args: [{ pipelineFile: file }] })).result() as Promise<PipelineResult>);
    expect(result.outcome).toBe('registered');

    const registry = await openRegistry({ kind: 'embedded' }, { dataDir });
    try {
      // Visibility (the list by Model) is eventually consistent.
      let history = await collectModelHistory(model, { registry, temporal: env.client, gateway: { stateDir: dataDir } });
      for (let attempt = 0; attempt < 50 && !history.events.some((event) => event.workflowId === workflowId); attempt++) {
        await sleep(200);
        history = await collectModelHistory(model, { registry, temporal: env.client, gateway: { stateDir: dataDir } });
      }
      const fromWorkflow = history.events.filter((event) => event.workflowId === workflowId);
      expect(fromWorkflow.map((event) => event.kind)).toContain('training-run');
      expect(fromWorkflow.some((event) => event.summary.includes('started'))).toBe(true);
      const registered = history.events.filter((event) => event.kind === 'registered');
      expect(registered.length).toBeGreaterThanOrEqual(1);
      expect(registered.every((event) => event.versions.includes(1))).toBe(true);
      const times = history.events.map((event) => Date.parse(event.time));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(Date.parse(fromWorkflow[0]!.time)).toBeLessThanOrEqual(Date.parse(registered[0]!.time));
      expect(history.notes.filter((note) => note.includes('Temporal is not reachable'))).toEqual([]);
    } finally {
      await registry.close();
    }
  }, 180_000);
});
