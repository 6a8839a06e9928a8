/**
 * What only the canary's state knows: the checks of each step counted, and the decision they led
 * to (the verdict summaries), plus the notes it keeps for people (window extended, held for a
 * person, an approval gate decided by its timeout). Read through the `status` query; pure here.
 */
import type { CheckCounters, StepSummary } from '../canary/analysis-state.js';
import type { CanaryStatus } from '../temporal/canary-status.js';
import type { TimelineEvent } from './timeline-event.js';

/** Notes worth a line of their own; the rest repeat facts the history already gives. */
const NOTES_FOR_PEOPLE = /^(window extended|holding for a human|paused|resumed|waiting for approval|approved at|rejected at|rollback could not|alert not delivered)/;

export function canaryStatusTimeline(status: CanaryStatus, workflowId: string): TimelineEvent[] {
  const version = status.canaryVersion;
  const events: TimelineEvent[] = status.analysis.history.map((step) => stepSummaryEvent(step, version, workflowId));
  // The step the rollout ended in (or is in) has no summary yet: its counters so far.
  const current = status.analysis;
  const lastCheck = current.checks.at(-1);
  const finished = status.analysis.history.some((step) => step.stepIndex === current.stepIndex);
  if (lastCheck && !finished) {
    events.push({
      time: new Date(lastCheck.at).toISOString(),
      kind: 'check-summary',
      versions: [version],
      workflowId,
      sources: ['workflow'],
      summary: `step ${current.stepIndex + 1} at ${current.weight}% so far: ${describeCounters(current.counters)}${current.decision ? ` → ${current.decision.action}: ${current.decision.reason}` : ''}`,
      details: { stepIndex: current.stepIndex, weight: current.weight, counters: current.counters, decision: current.decision, complete: false },
    });
  }
  for (const note of status.events) {
    if (!NOTES_FOR_PEOPLE.test(note.message)) continue;
    events.push({ time: new Date(note.at).toISOString(), kind: 'canary-note', versions: [version], workflowId, sources: ['workflow'], summary: note.message });
  }
  return events;
}

function stepSummaryEvent(step: StepSummary, version: number, workflowId: string): TimelineEvent {
  return {
    time: new Date(step.endedAt).toISOString(),
    kind: 'check-summary',
    versions: [version],
    workflowId,
    sources: ['workflow'],
    reason: step.decision.reason,
    summary: `step ${step.stepIndex + 1} at ${step.weight}%: ${describeCounters(step.counters)}${step.extensions ? `, ${step.extensions} extension(s)` : ''} → ${step.decision.action}: ${step.decision.reason}`,
    details: { stepIndex: step.stepIndex, weight: step.weight, startedAt: new Date(step.startedAt).toISOString(), counters: step.counters, decision: step.decision, complete: true },
  };
}

function describeCounters(counters: CheckCounters): string {
  return `${counters.pass} pass, ${counters.fail} fail, ${counters.inconclusive} inconclusive, ${counters.error} error${counters.hardLimit ? `, ${counters.hardLimit} over a hard limit` : ''}`;
}
