/**
 * Reads a model's workflow runs through the Temporal client: every modelPipeline and
 * canaryRollout execution carrying the `Model` search attribute, its event history, and for a
 * canary its `status` query (the step verdicts live only in its state). A query needs a worker
 * to answer; without one the verdict summaries are left out and a note says so.
 */
import type { Client } from '@temporalio/client';
import { MODEL } from '../temporal/search-attributes.js';
import { canaryStatusQuery } from '../temporal/contract.js';
import { canaryStatusTimeline } from './canary-status-events.js';
import type { TimelineEvent } from './timeline-event.js';
import { workflowHistoryTimeline } from './workflow-history-events.js';

const TIMELINE_WORKFLOWS = new Set(['modelPipeline', 'canaryRollout']);
/** How long a status query may wait for a worker before the summaries are skipped. */
const STATUS_QUERY_DEADLINE_MS = 5_000;

export interface WorkflowRunsTimeline {
  events: TimelineEvent[];
  runs: number;
  notes: string[];
}

export async function workflowRunsTimeline(client: Client, model: string): Promise<WorkflowRunsTimeline> {
  const query = `${MODEL.name} = ${JSON.stringify(model)}`;
  const events: TimelineEvent[] = [];
  const notes: string[] = [];
  let runs = 0;
  let queriesFailed = 0;
  for await (const execution of client.workflow.list({ query })) {
    if (!TIMELINE_WORKFLOWS.has(execution.type)) continue;
    runs++;
    const handle = client.workflow.getHandle(execution.workflowId, execution.runId);
    events.push(...workflowHistoryTimeline(await handle.fetchHistory(), execution.workflowId));
    if (execution.type !== 'canaryRollout' || queriesFailed > 0) continue;
    try {
      const status = await client.connection.withDeadline(Date.now() + STATUS_QUERY_DEADLINE_MS, () => handle.query(canaryStatusQuery));
      events.push(...canaryStatusTimeline(status, execution.workflowId));
    } catch (err) {
      // One unanswered query means no worker polls: asking each other canary would only wait again.
      queriesFailed++;
      notes.push(`canary check summaries left out: the status query of ${execution.workflowId} was not answered (${(err as Error).message.split('\n')[0]}); is a worker running?`);
    }
  }
  return { events, runs, notes };
}
