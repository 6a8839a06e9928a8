/**
 * The registry's side of the timeline: its audit trail (registrations, status changes, alias
 * moves with who and why) and, for each version, the run that made it (trigger, data version,
 * gate results from the version's lineage). Registries without an audit trail (MLflow) still
 * give the registrations.
 */
import { describeAuditChange, type AuditEvent } from '../registry/audit-event.js';
import type { ModelVersion } from '../registry/model-registry.js';
import type { TimelineEvent } from './timeline-event.js';

export function registryTimeline(versions: readonly ModelVersion[], audit: readonly AuditEvent[] | undefined): TimelineEvent[] {
  const byVersion = new Map(versions.map((version) => [version.version, version]));
  if (audit === undefined) return versions.map((version) => registeredEvent(version, version.createdAt, `registered (now ${version.status})`, undefined, undefined));
  return audit.map((event) => {
    const time = new Date(event.at).toISOString();
    const version = byVersion.get(event.version);
    if (event.change.kind === 'registered' && version) return registeredEvent(version, time, `registered as ${event.change.status}`, event.actor, event.reason);
    return {
      time,
      kind: event.change.kind === 'status' ? 'status' : event.change.kind === 'registered' ? 'registered' : 'alias',
      versions: [event.version],
      actor: event.actor,
      ...(event.reason ? { reason: event.reason } : {}),
      sources: ['registry'],
      summary: `v${event.version} ${describeAuditChange(event.change)}${event.reason ? `: ${event.reason}` : ''}`,
      details: { change: event.change },
    } satisfies TimelineEvent;
  });
}

function registeredEvent(version: ModelVersion, time: string, what: string, actor: string | undefined, reason: string | undefined): TimelineEvent {
  const { lineage, gates } = version;
  const passed = gates.filter((gate) => gate.passed).length;
  const failed = gates.filter((gate) => !gate.passed);
  const gateText = gates.length === 0 ? 'no gates' : `${passed}/${gates.length} gates passed${failed.length ? ` (failed: ${failed.map((gate) => gate.gate).join(', ')})` : ''}`;
  return {
    time: new Date(time).toISOString(),
    kind: 'registered',
    versions: [version.version],
    ...(actor ? { actor } : {}),
    ...(reason ? { reason } : {}),
    workflowId: lineage.workflowId,
    sources: ['registry'],
    summary: `v${version.version} ${what}: data ${lineage.dataVersion.slice(0, 16)}, ${gateText}${lineage.trigger ? `, trigger ${lineage.trigger}` : ''}`,
    details: { dataVersion: lineage.dataVersion, trigger: lineage.trigger, trainer: lineage.trainer, parentVersion: lineage.parentVersion, gates, metrics: version.metrics, rejectionReasons: version.rejectionReasons },
  };
}
