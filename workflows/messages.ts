/** Signals, queries and updates of our workflows, next to the workflows that handle them. */
import { defineQuery } from '@temporalio/workflow';
import type { PipelineStatus } from './pipeline-status.js';

/** The run's state as it is: current step, finished steps with timings, results so far. */
export const pipelineStatusQuery = defineQuery<PipelineStatus>('status');
