/** The timeline for people: one line per event, columns aligned (time, kind, versions, what happened). */
import { describeTrafficAt } from './traffic-at.js';
import type { ModelHistory } from './model-history.js';

export function renderModelHistory(history: ModelHistory): string {
  const rows = history.events.map((event) => [
    event.time,
    event.kind,
    event.versions.length ? event.versions.map((version) => `v${version}`).join(',') : '-',
    event.summary + (event.actor && !event.summary.includes(event.actor) ? ` [${event.actor}]` : '') + (event.workflowId && !event.summary.includes(event.workflowId) ? `  (${event.workflowId})` : ''),
  ]);
  const widths = [0, 1, 2].map((column) => Math.max(0, ...rows.map((row) => row[column]!.length)));
  const lines = [`${history.model}: ${history.events.length} event(s)${history.since ? ` since ${history.since}` : ''}`];
  for (const row of rows) lines.push(`${row[0]!.padEnd(widths[0]!)}  ${row[1]!.padEnd(widths[1]!)}  ${row[2]!.padEnd(widths[2]!)}  ${row[3]}`);
  if (history.trafficAt) lines.push('', `${describeTrafficAt(history.model, history.trafficAt)}  [from ${history.trafficAt.source}]`);
  for (const note of history.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}
