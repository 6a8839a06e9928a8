/** Loads the Evidently / scipy reference cases made by scripts/fixtures/make_drift_fixtures.py. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { CategoricalColumn, Column, NumericColumn, Table } from '../../../src/data/table.js';
import type { DriftOptions } from '../../../src/drift/drift-options.js';
import type { DriftTest } from '../../../src/drift/drift-report.js';

export const FIXTURE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/drift');

type Cell = number | string | null;

interface EvidentlyColumn {
  test?: DriftTest;
  score?: number | null;
  drifted?: boolean;
  threshold?: number;
  error?: string;
}

export interface DriftFixture {
  case: string;
  description: string;
  kinds: Record<string, 'numeric' | 'categorical'>;
  reference: Record<string, Cell[]>;
  current: Record<string, Cell[]>;
  options: DriftOptions;
  expected: {
    columns: Record<string, {
      evidently: EvidentlyColumn;
      scipy: {
        ks?: { statistic: number; pValue: number };
        chisquare?: { statistic: number | null; pValue: number };
        z?: { statistic: number | null };
        wasserstein?: { distance: number; referenceStd: number };
        sturgesBins?: number;
      };
      methods: Partial<Record<DriftTest, EvidentlyColumn>>;
    }>;
    dataset: { driftedColumns: number; share: number; evaluatedColumns: number };
  };
  versions: Record<string, string>;
}

export function loadDriftFixtures(): DriftFixture[] {
  return readdirSync(FIXTURE_DIR)
    .filter((file) => file.endsWith('.json') && file !== 'special_functions.json')
    .sort()
    .map((file) => JSON.parse(readFileSync(path.join(FIXTURE_DIR, file), 'utf8')) as DriftFixture);
}

export function loadFixture(name: string): DriftFixture {
  return JSON.parse(readFileSync(path.join(FIXTURE_DIR, `${name}.json`), 'utf8')) as DriftFixture;
}

function numberOf(cell: Cell): number {
  if (cell === null) return Number.NaN;
  if (cell === 'inf') return Number.POSITIVE_INFINITY;
  if (cell === '-inf') return Number.NEGATIVE_INFINITY;
  return cell as number;
}

function columnOf(name: string, kind: 'numeric' | 'categorical', cells: Cell[]): Column {
  if (kind === 'numeric') {
    const column: NumericColumn = { name, kind, sourceType: 'DOUBLE', values: Float64Array.from(cells, numberOf) };
    return column;
  }
  const dictionary: string[] = [];
  const index = new Map<string, number>();
  const codes = Int32Array.from(cells, (cell) => {
    if (cell === null) return -1;
    const text = String(cell);
    if (!index.has(text)) {
      index.set(text, dictionary.length);
      dictionary.push(text);
    }
    return index.get(text)!;
  });
  const column: CategoricalColumn = { name, kind, sourceType: 'VARCHAR', codes, dictionary };
  return column;
}

/** The fixture's reference or current side as a Table, optionally only rows [start, end). */
export function tableOf(fixture: DriftFixture, side: 'reference' | 'current', start = 0, end?: number): Table {
  const names = Object.keys(fixture.kinds);
  const columns = names.map((name) => columnOf(name, fixture.kinds[name]!, fixture[side][name]!.slice(start, end)));
  return { rowCount: columns[0]!.kind === 'numeric' ? columns[0]!.values.length : columns[0]!.codes.length, columns };
}

/**
 * Equal within `relative` of the reference value (or exactly, for 0 and non-finite values).
 * 1e-11 is the default (the worst case in the fixtures is 7e-13, a Jensen-Shannon distance of two nearly equal distributions, where the square root of a small sum amplifies rounding); callers say when and why they loosen it.
 */
export function expectClose(actual: number | null | undefined, expected: number | null | undefined, label: string, relative = Number(process.env.DRIFT_TOLERANCE ?? 1e-11)): void {
  if (expected === null || expected === undefined || !Number.isFinite(expected) || expected === 0) {
    if (expected === 0) expect(Math.abs(actual ?? Number.NaN), label).toBeLessThanOrEqual(1e-15);
    else expect(actual, label).toBe(expected);
    return;
  }
  expect(actual, label).not.toBeNull();
  const error = Math.abs((actual as number) - expected) / Math.abs(expected);
  expect(error, `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(relative);
}
