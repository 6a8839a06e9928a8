/**
 * Starts `modelPipeline` under its business key `pipeline/<model>/<data-version>`: the same
 * model on the same data is one run. A running run is attached to; a finished one is returned
 * instead of training twice.
 */
import path from 'node:path';
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { loadDefinitionFile } from '../spec/load.js';
import { pipelineWorkflowId, type PipelineRunInput } from '../spec/run-input.js';
import { currentDataVersion } from '../data/data-source-snapshot.js';
import { DatasetError } from '../data/dataset-error.js';
import { MODEL, TRIGGER } from './contract.js';
import type { PipelineResult } from './pipeline-status.js';
import type { Settings } from './settings.js';

export interface StartedPipeline {
  handle: WorkflowHandle<(input: PipelineRunInput) => Promise<PipelineResult>>;
  workflowId: string;
  dataVersion: string;
  /** True when a run with this business key existed already (running or finished). */
  existing: boolean;
}

export async function startPipeline(client: Client, settings: Settings, file: string, trigger: NonNullable<PipelineRunInput['trigger']>): Promise<StartedPipeline> {
  const { definition } = await loadDefinitionFile(file);
  let dataVersion: string;
  try {
    // An s3:// source is downloaded into this data directory: a worker sharing it reads it from there.
    ({ dataVersion } = await currentDataVersion(definition.data.source, settings.dataDir, { format: definition.data.format, storage: definition.storage }));
  } catch (err) {
    if (err instanceof DatasetError && err.message.startsWith('data.source')) throw err;
    throw new DatasetError(`cannot read the data at ${definition.data.source} (data.source): ${(err as Error).message}`);
  }
  const workflowId = pipelineWorkflowId(definition.model, dataVersion);
  try {
    const handle = await client.workflow.start('modelPipeline', {
      taskQueue: settings.taskQueue,
      workflowId,
      args: [{ pipelineFile: path.resolve(file), trigger, expectedDataVersion: dataVersion }],
      // A running or finished run with this key answers "already started": we attach to it.
      // (USE_EXISTING would attach too, but the SDK would not tell us that it did.)
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [{ key: MODEL, value: definition.model }, { key: TRIGGER, value: trigger }],
      staticSummary: `Train, validate and register ${definition.model} on data ${dataVersion}`,
    });
    return { handle, workflowId, dataVersion, existing: false } as StartedPipeline;
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return { handle: client.workflow.getHandle(workflowId), workflowId, dataVersion, existing: true } as StartedPipeline;
  }
}
