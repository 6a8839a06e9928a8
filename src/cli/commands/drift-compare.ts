/**
 * `mlops drift compare --reference <file|model@version> --current <file>`: the drift monitor's
 * engine on any two CSV/Parquet files, for CI jobs. Exit code 0: no drift, 1: drift, 2: error.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compareDatasets, CompareInputError, type CompareDatasetsInput } from '../../drift/compare-datasets.js';
import { DatasetError } from '../../data/load-dataset.js';
import type { DriftReport } from '../../drift/drift-report.js';
import { downloadReferenceProfile } from '../../drift/reference-profile.js';
import { DriftOptions, isPValueTest } from '../../drift/drift-options.js';
import { renderDriftReportHtml } from '../../drift/report-html.js';
import { openRegistry } from '../../registry/open-registry.js';
import { loadDefinitionFile } from '../../spec/load.js';
import { settingsFromEnv } from '../../temporal/settings.js';

export interface DriftCompareOptions {
  reference: string;
  current: string;
  columns?: string;
  method?: string;
  threshold?: string;
  html?: string;
  json?: string;
  /** A pipeline definition: its registry (for model@version) and its monitor.drift options. */
  pipeline?: string;
}

export const EXIT_NO_DRIFT = 0;
export const EXIT_DRIFT = 1;
export const EXIT_ERROR = 2;

export async function driftCompareCommand(options: DriftCompareOptions): Promise<number> {
  try {
    const definition = options.pipeline ? (await loadDefinitionFile(options.pipeline)).definition : undefined;
    const fromDefinition = definition?.monitor?.drift;
    const parsed = DriftOptions.safeParse({
      method: options.method ?? fromDefinition?.method,
      threshold: options.threshold !== undefined ? Number(options.threshold) : fromDefinition?.threshold,
      kinds: fromDefinition?.kinds,
      columns: fromDefinition?.columns,
      datasetThreshold: fromDefinition?.datasetThreshold,
      missingShareShift: fromDefinition?.missingShareShift,
      newCategoryCriticalShare: fromDefinition?.newCategoryCriticalShare,
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      console.error(`--${String(issue.path[0] ?? 'method')}: ${issue.message}`);
      return EXIT_ERROR;
    }
    const report = await compareDatasets({
      reference: await referenceOf(options.reference, definition),
      current: options.current,
      columns: options.columns?.split(',').map((name) => name.trim()).filter(Boolean),
      drift: parsed.data,
    });
    console.log(renderTable(report));
    if (options.json) await writeFile(options.json, `${JSON.stringify(report, null, 2)}\n`);
    if (options.html) await writeFile(options.html, renderDriftReportHtml(report));
    for (const [what, file] of [['JSON', options.json], ['HTML', options.html]] as const) if (file) console.log(`${what} report: ${path.resolve(file)}`);
    return report.datasetDrift ? EXIT_DRIFT : EXIT_NO_DRIFT;
  } catch (err) {
    if (err instanceof CompareInputError || err instanceof DatasetError || (err as NodeJS.ErrnoException).code === 'ENOENT') {
      console.error(`drift compare: ${(err as Error).message}`);
      return EXIT_ERROR;
    }
    throw err;
  }
}

/** A file, or `<model>@<version>`: that version's reference profile from the registry. */
async function referenceOf(reference: string, definition: Awaited<ReturnType<typeof loadDefinitionFile>>['definition'] | undefined): Promise<CompareDatasetsInput['reference']> {
  const registered = /^([A-Za-z0-9][\w.-]*)@(\d+)$/.exec(reference);
  if (!registered) return { file: reference };
  const [, model, versionText] = registered;
  const version = Number(versionText);
  const registry = await openRegistry(definition?.registry ?? { kind: 'embedded' }, { dataDir: settingsFromEnv().dataDir });
  try {
    const profile = await downloadReferenceProfile(registry, model!, version);
    if (!profile) throw new CompareInputError(`--reference ${reference}: ${model} v${version} has no reference profile in the ${definition?.registry.kind ?? 'embedded'} registry`);
    return { profile, label: model!, version };
  } finally {
    await registry.close();
  }
}

/** The score, or for an approximate one "≈ score [low, high]" (the bounds of the exact value). */
function scoreText(column: DriftReport['columns'][number]): string {
  const score = formatScore(isPValueTest(column.test) ? column.pValue : column.statistic);
  if (!column.approximate) return score;
  return column.interval ? `≈ ${score} [${formatScore(column.interval[0])}, ${formatScore(column.interval[1])}]` : `≈ ${score}`;
}

function renderTable(report: DriftReport): string {
  const rows = report.columns.map((column) => [
    column.column,
    column.kind,
    column.test,
    column.error ? 'error' : scoreText(column),
    String(column.threshold),
    column.drifted === null ? `error: ${column.error}` : `${column.drifted ? 'DRIFT' : 'ok'}${column.undecided ? ' (undecided: the bounds contain the threshold)' : ''}`,
  ]);
  const header = ['column', 'kind', 'test', 'score', 'threshold', 'verdict'];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ');
  return [
    line(header),
    ...rows.map(line),
    '',
    `${report.drifted} of ${report.evaluated} columns drifted (${(report.share * 100).toFixed(0)}%; dataset drift at ${report.datasetThreshold * 100}%): ${report.datasetDrift ? 'DRIFT' : 'no drift'}` +
      ` — reference ${report.referenceRows} rows, current ${report.currentRows} rows`,
    ...report.findings.map((finding) => `${finding.severity}: ${finding.column}: ${finding.detail}`),
  ].join('\n');
}

function formatScore(value: number | null): string {
  if (value === null) return '-';
  return value !== 0 && Math.abs(value) < 1e-4 ? value.toExponential(3) : value.toPrecision(6);
}
