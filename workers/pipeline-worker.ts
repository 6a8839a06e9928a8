/**
 * Builds the worker that runs our workflows and activities. Used by the worker process and by
 * tests, which pass a pre-built workflow bundle so the code is bundled once per test run.
 */
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createPipelineActivities } from '../activities/pipeline-activities.js';
import { createDeployActivities } from '../activities/deploy-activities.js';
import { createDriftActivities } from '../activities/drift-activities.js';
import { createPerformanceActivities } from '../activities/performance-activities.js';
import { createTriggerActivities } from '../activities/trigger-activities.js';
import { DriftGauges } from '../src/drift/drift-gauges.js';
import type { Settings } from '../src/temporal/settings.js';
import { Registry } from 'prom-client';
import { defaultWorkerPolicy, type WorkerPolicy } from '../src/policy/worker-policy.js';

export interface PipelineWorkerOptions {
  settings: Settings;
  codeVersion: string;
  connection?: NativeConnection;
  workflowBundle?: WorkflowBundleOption;
  identity?: string;
  /** Where the activities' gauges (drift) are registered; the worker process serves it on /metrics. */
  metricsRegistry?: Registry;
  /** What a workflow start may make this worker read or run (src/policy); default: the default policy. */
  policy?: WorkerPolicy;
}

export const WORKFLOWS_PATH = new URL('../workflows/index.ts', import.meta.url).pathname;

export async function createPipelineWorker(options: PipelineWorkerOptions): Promise<Worker> {
  const { settings } = options;
  const connection = options.connection ?? (await NativeConnection.connect({ address: settings.temporalAddress }));
  return Worker.create({
    connection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    ...(options.identity ? { identity: options.identity } : {}),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: {
      ...createPipelineActivities({ dataDir: settings.dataDir, codeVersion: options.codeVersion, policy: options.policy ?? defaultWorkerPolicy() }),
      ...createDeployActivities({ dataDir: settings.dataDir, codeVersion: options.codeVersion }),
      ...createTriggerActivities({ policy: options.policy ?? defaultWorkerPolicy(), dataDir: settings.dataDir }),
      ...createDriftActivities({ dataDir: settings.dataDir, codeVersion: options.codeVersion, gauges: new DriftGauges(options.metricsRegistry ?? new Registry()) }),
      ...createPerformanceActivities({ dataDir: settings.dataDir, codeVersion: options.codeVersion }),
    },
    // Training is CPU-heavy; two at once on a 2-core machine is plenty.
    maxConcurrentActivityTaskExecutions: 4,
  });
}
