/**
 * The rules of an approval gate's Update (deploy.approval), as pure functions the workflow's
 * validator calls: a decision is accepted only while a gate waits, only once, and only from a
 * named person. A rejected Update never reaches history; its message says why.
 */
import type { ApprovalDecision, CanaryStatus } from '../temporal/canary-status.js';

export class ApprovalRejected extends Error {
  override readonly name = 'ApprovalRejected';
}

export function checkApprovalDecision(status: Pick<CanaryStatus, 'model' | 'canaryVersion' | 'phase' | 'approval' | 'outcome'>, decided: ApprovalDecision | undefined, incoming: unknown): void {
  const subject = `${status.model} v${status.canaryVersion}`;
  if (status.outcome) throw new ApprovalRejected(`${subject} is already ${status.outcome.result}: nothing waits for approval`);
  if (!status.approval) throw new ApprovalRejected(`nothing waits for approval: ${subject} is ${status.phase}`);
  if (decided) throw new ApprovalRejected(`the ${status.approval.gate} gate of ${subject} was already ${decided.decision === 'approve' ? 'approved' : 'rejected'} by ${decided.by}`);
  const decision = incoming as Partial<ApprovalDecision> | undefined;
  if (decision?.decision !== 'approve' && decision?.decision !== 'reject') {
    throw new ApprovalRejected(`decision: expected "approve" or "reject", got ${JSON.stringify(decision?.decision ?? null)}`);
  }
  if (typeof decision.by !== 'string' || decision.by.trim() === '') throw new ApprovalRejected('by: expected the name of who decides (it goes to the audit trail)');
  if (decision.by.length > 200 || (decision.reason !== undefined && (typeof decision.reason !== 'string' || decision.reason.length > 2000))) {
    throw new ApprovalRejected('by or reason: too long (by ≤ 200, reason ≤ 2000 characters)');
  }
}

/** `approved at before-promotion by alice: looks good`. */
export function describeApproval(gate: string, decision: ApprovalDecision): string {
  return `${decision.decision === 'approve' ? 'approved' : 'rejected'} at ${gate} by ${decision.by}${decision.reason ? `: ${decision.reason}` : ''}`;
}
