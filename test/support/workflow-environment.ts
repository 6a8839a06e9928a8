/**
 * Per-test-file helpers for workflow tests: a client for the suite's dev server and a worker
 * with the real activities on the embedded adapters, in a fresh data directory.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { createPipelineWorker } from '../../workers/pipeline-worker.js';
import type { Settings } from '../../src/temporal/settings.js';
import { permissiveWorkerPolicy, type WorkerPolicy } from '../../src/policy/worker-policy.js';

let runtimeInstalled = false;

export interface WorkflowTestEnvironment {
  client: Client;
  settings: Settings;
  worker: Worker;
  /** Awaits `fn` while the worker runs; fails fast if the worker dies meanwhile. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Tests write definitions and data in temporary folders: a permissive policy unless a test passes its own. */
export async function createWorkflowTestEnvironment(options: { dataDir?: string; policy?: WorkerPolicy } = {}): Promise<WorkflowTestEnvironment> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtimeInstalled = true;
  }
  const address = inject('temporalAddress');
  const settings: Settings = {
    temporalAddress: address,
    namespace: 'default',
    taskQueue: `test-${randomUUID()}`,
    dataDir: options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'mlops-wf-'))),
    webUiUrl: inject('temporalUiUrl'),
  };
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: settings.namespace });
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await createPipelineWorker({
    settings,
    codeVersion: 'test',
    connection: nativeConnection,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    policy: options.policy ?? permissiveWorkerPolicy(),
  });
  // One worker for the whole file: a Worker object can run only once.
  const running = worker.run();
  const died = running.then(() => Promise.reject(new Error('worker stopped')));
  died.catch(() => undefined);
  return {
    client,
    settings,
    worker,
    run: (fn) => Promise.race([fn(), died]),
    async close() {
      worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
      await nativeConnection.close();
    },
  };
}
