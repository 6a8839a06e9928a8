/**
 * retrainWhenDataChanged: what a retrain schedule starts. It reads the version of the data the
 * definition names and starts `modelPipeline` under the same key a webhook or `mlops run` would
 * use (`pipeline/<model>/<data version>`): on data already trained on (by any trigger) it does
 * nothing and says so, instead of retraining on the same bytes.
 */
import { ParentClosePolicy, proxyActivities, startChild, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { PipelineActivities } from '../activities/pipeline-activities.js';
import type { TriggerActivities } from '../activities/trigger-activities.js';
import { pipelineWorkflowId } from '../src/spec/run-input.js';
import { DATA_VERSION, MODEL, TRIGGER } from './search-attributes.js';
import { modelPipeline } from './modelPipeline.js';

export interface RetrainWhenDataChangedInput {
  pipelineFile?: string;
  pipeline?: unknown;
  trigger?: 'schedule' | 'drift';
}

export interface RetrainWhenDataChangedResult {
  model: string;
  dataVersion: string;
  /** `started`: a new run on new data; `unchanged`: a run on these bytes exists already. */
  outcome: 'started' | 'unchanged';
  pipelineWorkflowId: string;
}

const quick = proxyActivities<PipelineActivities & TriggerActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

export async function retrainWhenDataChanged(input: RetrainWhenDataChangedInput): Promise<RetrainWhenDataChangedResult> {
  const trigger = input.trigger ?? 'schedule';
  const source = input.pipelineFile !== undefined ? { pipelineFile: input.pipelineFile } : { pipeline: input.pipeline as string | Record<string, unknown> };
  const { definition } = await quick.loadPipelineDefinition({ ...source, trigger });
  upsertSearchAttributes([{ key: MODEL, value: definition.model }, { key: TRIGGER, value: trigger }]);
  const { dataVersion } = await quick.currentDataVersion({ definition });
  upsertSearchAttributes([{ key: DATA_VERSION, value: dataVersion }]);
  return startPipelineOnData(definition.model, dataVersion, source, trigger);
}

/** Starts the run keyed by the data, or finds it: one run per model and data version, whoever asks. */
export async function startPipelineOnData(
  model: string,
  dataVersion: string,
  source: { pipelineFile?: string; pipeline?: string | Record<string, unknown> },
  trigger: 'schedule' | 'drift' | 'performance',
): Promise<RetrainWhenDataChangedResult> {
  const workflowId = pipelineWorkflowId(model, dataVersion);
  try {
    await startChild(modelPipeline, {
      workflowId,
      args: [{ ...(source as { pipelineFile: string }), trigger, expectedDataVersion: dataVersion }],
      // The run outlives its trigger; it is not cancelled with it.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [{ key: MODEL, value: model }, { key: TRIGGER, value: trigger }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    upsertMemo({ summary: `${model}: data ${dataVersion} unchanged (already trained by ${workflowId}): nothing to do` });
    return { model, dataVersion, outcome: 'unchanged', pipelineWorkflowId: workflowId };
  }
  upsertMemo({ summary: `${model}: new data ${dataVersion}, started ${workflowId}` });
  return { model, dataVersion, outcome: 'started', pipelineWorkflowId: workflowId };
}
