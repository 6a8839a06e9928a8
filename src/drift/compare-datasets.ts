/**
 * Drift between two datasets on disk (CSV or Parquet): the drift monitor's engine, tests,
 * thresholds and findings, for `mlops drift compare` and CI jobs. Both sides are profiled with
 * every value kept (sampleSize = the larger side's rows), so the statistics are exact: the same
 * numbers Evidently gives on the same data.
 */
import path from 'node:path';
import { loadDataset } from '../data/load-dataset.js';
import type { Table } from '../data/table.js';
import { compareProfiles } from './compare.js';
import type { DriftOptions } from './drift-options.js';
import type { DriftReport } from './drift-report.js';
import type { DriftProfile } from './profile.js';
import { profileFromTable } from './reference-profile.js';

export interface CompareDatasetsInput {
  /** A CSV/Parquet file, or a profile already made (a registered version's reference). */
  reference: { file: string } | { profile: DriftProfile; label: string; version: number };
  current: string;
  /** Columns to compare; default: every column both sides have (the reference profile's features). */
  columns?: string[];
  drift?: DriftOptions;
}

export class CompareInputError extends Error {
  override readonly name = 'CompareInputError';
}

export async function compareDatasets(input: CompareDatasetsInput): Promise<DriftReport> {
  const currentTable = await loadDataset(input.current);
  let reference: DriftProfile;
  let label: string;
  let version = 0;
  let features: string[];
  if ('file' in input.reference) {
    const referenceTable = await loadDataset(input.reference.file);
    features = selectColumns(input.columns, referenceTable, currentTable, input.reference.file, input.current);
    reference = profileFromTable(referenceTable, features, exactFor(referenceTable, currentTable));
    label = path.basename(input.reference.file);
  } else {
    reference = input.reference.profile;
    const known = reference.features.map((feature) => feature.name);
    features = input.columns ?? known.filter((name) => currentTable.columns.some((column) => column.name === name));
    const unknown = features.filter((name) => !known.includes(name));
    if (unknown.length) throw new CompareInputError(`--columns: ${unknown.join(', ')} not in the reference profile of ${input.reference.label} (it has ${known.join(', ')})`);
    reference = { ...reference, features: reference.features.filter((feature) => features.includes(feature.name)) };
    label = input.reference.label;
    version = input.reference.version;
  }
  const missing = features.filter((name) => !currentTable.columns.some((column) => column.name === name));
  if (missing.length) throw new CompareInputError(`${input.current}: no column ${missing.join(', ')} (it has ${currentTable.columns.map((c) => c.name).join(', ')})`);
  const current = profileFromTable(currentTable, features, { ...reference.options, sampleSize: Math.max(reference.options.sampleSize, currentTable.rowCount, 1) });
  return compareProfiles(reference, current, {
    model: label,
    version,
    window: { from: path.basename(input.current), to: path.basename(input.current) },
    ...input.drift,
  });
}

function selectColumns(asked: string[] | undefined, reference: Table, current: Table, referenceFile: string, currentFile: string): string[] {
  const names = (table: Table) => table.columns.map((column) => column.name);
  if (asked) {
    for (const [table, file] of [[reference, referenceFile], [current, currentFile]] as const) {
      const missing = asked.filter((name) => !names(table).includes(name));
      if (missing.length) throw new CompareInputError(`--columns: ${file} has no column ${missing.join(', ')} (it has ${names(table).join(', ')})`);
    }
    return asked;
  }
  const shared = names(reference).filter((name) => names(current).includes(name));
  if (shared.length === 0) throw new CompareInputError(`${referenceFile} and ${currentFile} share no column`);
  return shared;
}

/** Every value kept on both sides: exact statistics. */
function exactFor(...tables: Table[]) {
  return { sampleSize: Math.max(1, ...tables.map((table) => table.rowCount)) };
}
