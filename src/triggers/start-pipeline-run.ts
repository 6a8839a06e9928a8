/**
 * Starts `modelPipeline` for new data under its business key `pipeline/<model>/<data version>`.
 * FAIL on a running run and REJECT_DUPLICATE on a closed one make the server answer "already
 * started" for a redelivered or duplicated event instead of starting a second run.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { DataObject } from '../data/data-source-url.js';
import { pipelineWorkflowId, type PipelineRunInput } from '../spec/run-input.js';
import { MODEL, TRIGGER } from '../temporal/contract.js';

export interface PipelineRunStart {
  model: string;
  pipelineFile: string;
  dataVersion: string;
  /** Only a sha256 (or its prefix) of the data's bytes (the snapshot checks it); never an event's etag. */
  expectedDataVersion?: string;
  /** The S3 object (and version) the run trains on, instead of the definition's data.source. */
  dataObject?: DataObject;
  /** Where the data came from (`s3://bucket/key`, the sender's `source`). */
  origin: string;
}

export interface StartedRun {
  model: string;
  dataVersion: string;
  workflowId: string;
  /** True when a run with this key existed already (running or closed): nothing was started. */
  duplicate: boolean;
}

export async function startPipelineRun(client: Client, taskQueue: string, run: PipelineRunStart): Promise<StartedRun> {
  const workflowId = pipelineWorkflowId(run.model, run.dataVersion);
  const input: PipelineRunInput = {
    pipelineFile: run.pipelineFile,
    trigger: 'webhook',
    ...(run.expectedDataVersion ? { expectedDataVersion: run.expectedDataVersion } : {}),
    ...(run.dataObject ? { dataObject: run.dataObject } : {}),
  };
  try {
    await client.workflow.start('modelPipeline', {
      taskQueue,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [{ key: MODEL, value: run.model }, { key: TRIGGER, value: 'webhook' }],
      staticSummary: `Train, validate and register ${run.model} on new data ${run.dataVersion}`,
      staticDetails: `Started by the new-data webhook for ${run.origin}`,
    });
    return { model: run.model, dataVersion: run.dataVersion, workflowId, duplicate: false };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { model: run.model, dataVersion: run.dataVersion, workflowId, duplicate: true };
    throw err;
  }
}
