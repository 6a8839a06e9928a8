/** `mlops canary status|approve|abort|pause|resume <model>`: the running canary's messages. */
import os from 'node:os';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { settingsFromEnv, webUiLink } from '../../temporal/settings.js';
import { describeKpiComparison } from '../../canary/kpi-comparison.js';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { abortSignal, approvalUpdate, approveSignal, canaryStatusQuery, lifecycleStatusQuery, pauseSignal, resumeSignal } from '../../temporal/contract.js';
import { lifecycleWorkflowId, type LifecycleStatus } from '../../temporal/lifecycle-status.js';
import type { CanaryStatus } from '../../temporal/canary-status.js';
import { connectClient } from '../temporal-client.js';

export async function findRunningCanary(client: Client, model: string): Promise<WorkflowHandle | undefined> {
  const query = `WorkflowType = "canaryRollout" AND Model = "${model.replaceAll('"', '')}" AND ExecutionStatus = "Running"`;
  // The workflow id, not the run: a rollout continues as new, and a message goes to whichever run is current.
  for await (const execution of client.workflow.list({ query })) return client.workflow.getHandle(execution.workflowId);
  return undefined;
}

export async function canaryCommand(action: 'status' | 'approve' | 'reject' | 'abort' | 'pause' | 'resume', model: string, options: { reason?: string }): Promise<number> {
  const settings = settingsFromEnv();
  const client = await connectClient(settings);
  const handle = await findRunningCanary(client, model);
  const queue = await rolloutQueue(client, model);
  if (!handle) {
    console.error(`no canary of "${model}" is running${queue ? `\n${queue}` : ''}`);
    return 1;
  }
  const by = `${os.userInfo().username}@${os.hostname()}`;
  // Abort, pause and resume go out first: a signal needs no worker, a query does (none may be up,
  // or the run may have just continued as new), and the status printed below may then fail.
  if (action === 'abort') await handle.signal(abortSignal, { by, reason: options.reason });
  if (action === 'pause') await handle.signal(pauseSignal, { by });
  if (action === 'resume') await handle.signal(resumeSignal, { by });
  // Approve answers a waiting gate by the Update; without an answer to the query the signal does (it answers a gate too).
  const waiting = action === 'approve' || action === 'reject' ? (await client.connection.withDeadline(Date.now() + 10_000, () => handle.query(canaryStatusQuery)).catch(() => undefined))?.approval : undefined;
  if (action === 'reject' || (action === 'approve' && waiting)) {
    // A waiting gate is answered by the Update: the workflow accepts or refuses it, and says why.
    try {
      const answer = await handle.executeUpdate(approvalUpdate, { args: [{ decision: action, by, reason: options.reason }] });
      console.log(`${answer.decision === 'approve' ? 'approved' : 'rejected'} the ${answer.gate} gate of ${handle.workflowId} as ${answer.by}`);
    } catch (err) {
      if (!(err instanceof WorkflowUpdateFailedError)) throw err;
      console.error(`not accepted: ${(err.cause as Error | undefined)?.message ?? err.message}`);
      return 1;
    }
  }
  if (action === 'approve' && !waiting) await handle.signal(approveSignal, { by, reason: options.reason });
  if (action === 'abort' || action === 'pause' || action === 'resume' || (action === 'approve' && !waiting)) console.log(`sent ${action} to ${handle.workflowId}`);
  // Not a minute of silence after an abort at 3 a.m.: a query nobody answers fails after 10 s.
  const status = await client.connection.withDeadline(Date.now() + 10_000, () => handle.query(canaryStatusQuery)).catch((err: Error) => {
    console.error(`the canary's status is not available (${err.message}): is a worker polling ${settings.taskQueue}?`);
    return undefined;
  });
  if (status) console.log(renderCanaryStatus(status));
  else if (action === 'status') return 1;
  if (queue) console.log(queue);
  console.log(`Web UI: ${webUiLink(settings, handle.workflowId)}`);
  return 0;
}

/** The runs of the model waiting for the rollout slot (deploy.concurrency), from its coordinator; undefined when none waits. */
async function rolloutQueue(client: Client, model: string): Promise<string | undefined> {
  const status = (await client.workflow.getHandle(lifecycleWorkflowId(model)).query(lifecycleStatusQuery).catch(() => undefined)) as LifecycleStatus | undefined;
  if (!status || status.waiting.length === 0) return undefined;
  return [`  waiting for the rollout slot (${status.waiting.length}):`, ...status.waiting.map((request) => `    ${request.pipelineWorkflowId} v${request.version} (${request.concurrency}) since ${request.requestedAt.slice(11, 19)}`)].join('\n');
}

/** The experiment's split, clock and report: each KPI's difference with its anytime-valid interval. */
function experimentLines(status: CanaryStatus): string[] {
  const experiment = status.experiment;
  if (!experiment) return [];
  const clock = experiment.finished ? `ended ${experiment.endsAt.slice(11, 19)}, waiting for a decision` : `ends ${experiment.endsAt.slice(11, 19)}`;
  return [
    `  experiment: ${experiment.percent}% on v${status.canaryVersion} since ${experiment.startedAt.slice(11, 19)} (${clock}); ${experiment.checks} checks; no automatic promotion`,
    ...experiment.report.map((comparison) => `    ${describeKpiComparison(comparison)}`),
  ];
}

export function renderCanaryStatus(status: CanaryStatus): string {
  const a = status.analysis;
  const lines = [
    `${status.model} v${status.canaryVersion} vs champion ${status.championVersion !== undefined ? `v${status.championVersion}` : '(none)'}: ${status.phase}${status.paused ? ' (paused)' : ''}`,
    // An experiment has no steps: its own lines below say where it stands.
    ...(status.experiment ? [] : [
      `  weight ${status.weight}%, step ${a.stepIndex + 1}, window ${status.windowRemainingMs !== undefined ? `${Math.round(status.windowRemainingMs / 1000)} s left` : 'closed'}`,
      `  checks: ${a.counters.pass} pass, ${a.counters.fail} fail, ${a.counters.inconclusive} inconclusive, ${a.counters.error} error`,
    ]),
    ...a.checks.slice(-5).map((c) => `    ${new Date(c.at).toISOString().slice(11, 19)} ${c.verdict.padEnd(12)} ${c.reasons.join('; ')}`),
    status.phase === 'shadowing' ? '  shadow phase: requests mirrored to the canary, clients get the champion\'s answers; the shadow gates decide before any live traffic' : undefined,
    status.shadow ? `  ${status.shadow.summary}${status.shadow.passed ? '' : ` — failed: ${status.shadow.reasons.join('; ')}`}` : undefined,
    ...experimentLines(status),
    a.decision ? `  decision: ${a.decision.action} (${a.decision.reason})` : undefined,
    ...status.events.slice(-5).map((e) => `  ${e.at.slice(11, 19)} ${e.message}`),
    status.approval ? `  WAITING FOR APPROVAL (${status.approval.gate}) until ${status.approval.deadline}, then ${status.approval.onTimeout}: mlops canary approve|reject ${status.model}` : undefined,
    status.outcome ? `  outcome: ${status.outcome.result}: ${status.outcome.reason}` : undefined,
  ];
  return lines.filter((l) => l !== undefined).join('\n');
}
