/**
 * Plain-text views of the registry for `mlops registry list` and `mlops registry show`.
 * Pure functions of what the registry returned; lines stay within 100 columns and the text
 * has no trailing newline (the caller prints it).
 */
import { describeAuditChange, type AuditEvent } from './audit-event.js';
import type { ModelVersion, RegisteredModel } from './model-registry.js';
import type { GateResult } from '../evaluate/gate-result.js';

export const REPORT_WIDTH = 100;

/** Metrics shown in the versions table, most telling first; others follow alphabetically. */
const PREFERRED_METRICS = ['roc_auc', 'accuracy', 'f1', 'log_loss', 'precision', 'recall'];
const METRIC_COLUMNS = 3;

const LABEL_WIDTH = 18;
const NONE = '-';

/** `mlops registry list`: one row per model with its latest version and aliases. */
export function renderModelList(models: readonly RegisteredModel[]): string {
  if (models.length === 0) return 'No models registered yet.';
  const rows = models.map((model) => {
    const { champion, challenger, ...others } = model.aliases;
    const otherAliases = Object.entries(others).map(([alias, version]) => `${alias}=${version}`).join(' ');
    return [model.name, String(model.latestVersion), champion?.toString() ?? NONE, challenger?.toString() ?? NONE, otherAliases || NONE, shortTime(model.createdAt)];
  });
  return renderTable(
    [
      { header: 'MODEL', maxWidth: 32 },
      { header: 'LATEST', maxWidth: 6, alignRight: true },
      { header: 'CHAMPION', maxWidth: 8, alignRight: true },
      { header: 'CHALLENGER', maxWidth: 10, alignRight: true },
      { header: 'OTHER ALIASES', maxWidth: 16 },
      { header: 'CREATED (UTC)', maxWidth: 16 },
    ],
    rows,
  );
}

/** `mlops registry show <model>`: one row per version, oldest first. */
export function renderModelVersions(model: string, versions: readonly ModelVersion[]): string {
  if (versions.length === 0) return `Model "${model}" has no versions.`;
  const metrics = primaryMetrics(versions);
  const rows = versions.map((version) => [
    String(version.version),
    version.status,
    version.aliases.join(',') || NONE,
    ...metrics.map((name) => formatMetric(version.metrics[name])),
    version.lineage.dataVersion,
    shortTime(version.createdAt),
  ]);
  const table = renderTable(
    [
      { header: 'VERSION', maxWidth: 7, alignRight: true },
      { header: 'STATUS', maxWidth: 9 },
      { header: 'ALIASES', maxWidth: 18 },
      ...metrics.map((name) => ({ header: name.toUpperCase(), maxWidth: 8, alignRight: true })),
      { header: 'DATA VERSION', maxWidth: 12 },
      { header: 'CREATED (UTC)', maxWidth: 16 },
    ],
    rows,
  );
  return `Model ${model}: ${versions.length} version${versions.length === 1 ? '' : 's'}\n\n${table}`;
}

/** `mlops registry show <model> <version>`: every field, then the audit trail when given. */
export function renderVersionDetail(version: ModelVersion, events: readonly AuditEvent[] = []): string {
  const lines: string[] = [`Model ${version.model}, version ${version.version} (${version.status})`, ''];
  const field = (label: string, value: string | number | undefined) => {
    if (value !== undefined && value !== '') lines.push(...labelled(label, String(value)));
  };
  field('status', version.status);
  field('aliases', version.aliases.join(', ') || NONE);
  field('description', version.description);
  field('created', version.createdAt);
  field('updated', version.updatedAt);
  field('idempotency key', version.idempotencyKey);
  field('artifact sha256', version.artifactSha256);
  field('artifact size', `${version.artifactSize} bytes`);

  const { lineage } = version;
  lines.push('', 'Lineage');
  field('data version', lineage.dataVersion);
  field('definition hash', lineage.definitionHash);
  field('trainer', lineage.trainer);
  field('code version', lineage.codeVersion);
  field('workflow id', lineage.workflowId);
  field('run id', lineage.runId);
  field('parent version', lineage.parentVersion);
  field('trigger', lineage.trigger);

  lines.push('', 'Metrics');
  const metricNames = orderMetrics(Object.keys(version.metrics));
  if (metricNames.length === 0) lines.push(`  ${NONE}`);
  for (const name of metricNames) field(name, formatMetric(version.metrics[name]));

  lines.push('', 'Gates');
  if (version.gates.length === 0) lines.push(`  ${NONE}`);
  for (const gate of version.gates) lines.push(...renderGate(gate));

  if (version.rejectionReasons.length > 0) {
    lines.push('', 'Rejection reasons');
    for (const reason of version.rejectionReasons) lines.push(...indent(wrap(reason, REPORT_WIDTH - 4), '  - ', '    '));
  }

  if (events.length > 0) {
    lines.push('', 'History');
    for (const event of events) {
      lines.push(...indent(wrap(`${event.at}  ${describeAuditChange(event.change)}  by ${event.actor}`, REPORT_WIDTH - 2), '  ', '      '));
      if (event.reason !== undefined) lines.push(...indent(wrap(`why: ${event.reason}`, REPORT_WIDTH - 6), '      '));
    }
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------- helpers for the views above

function renderGate(gate: GateResult): string[] {
  const bounds = [gate.min === undefined ? undefined : `min ${gate.min}`, gate.max === undefined ? undefined : `max ${gate.max}`].filter(Boolean).join(', ');
  const head = `${gate.passed ? 'PASS' : 'FAIL'}  ${gate.gate} = ${gate.value === null ? 'n/a' : formatMetric(gate.value)}${bounds ? ` (${bounds})` : ''}`;
  const detail = gate.detail ? indent(wrap(gate.detail, REPORT_WIDTH - 8), '        ') : [];
  return [...indent(wrap(head, REPORT_WIDTH - 2), '  ', '        '), ...detail];
}

function primaryMetrics(versions: readonly ModelVersion[]): string[] {
  const present = new Set(versions.flatMap((version) => Object.keys(version.metrics)));
  return orderMetrics([...present]).slice(0, METRIC_COLUMNS);
}

function orderMetrics(names: readonly string[]): string[] {
  const rank = (name: string) => {
    const index = PREFERRED_METRICS.indexOf(name);
    return index === -1 ? PREFERRED_METRICS.length : index;
  };
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function formatMetric(value: number | undefined): string {
  if (value === undefined) return NONE;
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}

/** `2024-05-01T12:34:56.789Z` → `2024-05-01 12:34`. */
function shortTime(iso: string): string {
  return iso.slice(0, 16).replace('T', ' ');
}

function labelled(label: string, value: string): string[] {
  return indent(wrap(value, REPORT_WIDTH - 2 - LABEL_WIDTH), `  ${label.padEnd(LABEL_WIDTH)}`, ' '.repeat(2 + LABEL_WIDTH));
}

/** Prefixes the first line with `first` and the rest with `rest` (default: as wide, blank). */
function indent(lines: readonly string[], first: string, rest = ' '.repeat(first.length)): string[] {
  return lines.map((line, index) => `${index === 0 ? first : rest}${line}`);
}

/** Breaks text at spaces into lines of at most `width`; a longer word is cut. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (let word of paragraph.split(' ')) {
      while (word.length > width) {
        if (line) lines.push(line);
        lines.push(word.slice(0, width));
        word = word.slice(width);
        line = '';
      }
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    lines.push(line);
  }
  return lines;
}

interface Column {
  header: string;
  maxWidth: number;
  alignRight?: boolean;
}

function renderTable(columns: readonly Column[], rows: readonly string[][]): string {
  const widths = columns.map((column, index) =>
    Math.min(column.maxWidth, Math.max(column.header.length, ...rows.map((row) => (row[index] ?? '').length))),
  );
  const renderRow = (cells: readonly string[]) =>
    columns
      .map((column, index) => {
        const width = widths[index]!;
        const cell = truncate(cells[index] ?? '', width);
        return column.alignRight ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [renderRow(columns.map((column) => column.header)), ...rows.map(renderRow)].join('\n');
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
