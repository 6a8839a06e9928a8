/**
 * The people's messages to a rollout (approve, abort), as pure rules the workflow applies:
 * - abort wins over anything not yet recorded as an outcome, and stays: approve after abort is ignored;
 * - nothing changes a rollout that has an outcome;
 * - a pending abort turns any next step into a rollback; a pending approve promotes unless the
 *   analysis is rolling back (a hard limit or breach is never overridden by an earlier approve).
 */
import type { DecisionAction } from './analysis-state.js';

export interface CanaryCommand {
  kind: 'approve' | 'abort';
  by?: string;
  reason?: string;
}

export function receiveCommand(pending: CanaryCommand | undefined, incoming: CanaryCommand, hasOutcome: boolean): CanaryCommand | undefined {
  if (hasOutcome) return pending;
  if (pending?.kind === 'abort') return pending;
  return incoming;
}

export type NextAction = DecisionAction | 'promote';

/** What the rollout does next, given a pending command and the analysis's decision (if any). */
export function nextAction(pending: CanaryCommand | undefined, decision: DecisionAction | undefined): NextAction {
  if (pending?.kind === 'abort') return 'rollback';
  if (decision === 'rollback') return 'rollback';
  if (pending?.kind === 'approve') return 'promote';
  return decision ?? 'continue';
}

/** `aborted by alice: reason` / `approved`. */
export function describeCommand(command: CanaryCommand): string {
  return `${command.kind === 'abort' ? 'aborted' : 'approved'}${command.by ? ` by ${command.by}` : ''}${command.reason ? `: ${command.reason}` : ''}`;
}
