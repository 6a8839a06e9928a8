/** The scikit-learn reference fixture (scripts/fixtures/make_train_fixtures.py) as a Table. */
import { readFileSync } from 'node:fs';
import type { Column, Table } from '../../../src/data/table.js';
import type { FeatureEncoding } from '../../../src/train/artifact.js';

export interface ReferenceCase {
  name: string;
  l2: number;
  minCategoryCount: number;
  encodings: FeatureEncoding[];
  coef: number[];
  intercept: number;
  newtonCoef: number[];
  newtonIntercept: number;
  probabilities: number[];
}

interface Fixture {
  rowCount: number;
  target: string;
  features: string[];
  columns: Record<string, { kind: 'numeric' | 'categorical'; values: (number | string | null)[] }>;
  trainRows: number[];
  cases: ReferenceCase[];
}

export const reference = JSON.parse(readFileSync(new URL('../../fixtures/train/logistic-regression.json', import.meta.url), 'utf8')) as Fixture;

export function referenceTable(): Table {
  const columns: Column[] = Object.entries(reference.columns).map(([name, { kind, values }]) => {
    if (kind === 'numeric') {
      return { name, kind, sourceType: 'DOUBLE', values: Float64Array.from(values, (v) => (v === null ? Number.NaN : (v as number))) };
    }
    // Dictionary in order of first appearance, as a loader would build it: not sorted.
    const dictionary: string[] = [];
    const codeOf = new Map<string, number>();
    const codes = Int32Array.from(values, (v) => {
      if (v === null) return -1;
      let code = codeOf.get(v as string);
      if (code === undefined) {
        code = dictionary.push(v as string) - 1;
        codeOf.set(v as string, code);
      }
      return code;
    });
    return { name, kind, sourceType: 'VARCHAR', codes, dictionary };
  });
  return { rowCount: reference.rowCount, columns };
}

export const referenceTrainRows = (): Uint32Array => Uint32Array.from(reference.trainRows);

/** A table from plain columns: numbers (null = missing) or strings (null = missing). */
export function tableOf(columns: Record<string, (number | null)[] | (string | null)[]>): Table {
  const built: Column[] = Object.entries(columns).map(([name, values]) => {
    if (values.every((v) => v === null || typeof v === 'number')) {
      return { name, kind: 'numeric', sourceType: 'DOUBLE', values: Float64Array.from(values as (number | null)[], (v) => v ?? Number.NaN) };
    }
    const dictionary = [...new Set((values as (string | null)[]).filter((v): v is string => v !== null))];
    return { name, kind: 'categorical', sourceType: 'VARCHAR', dictionary, codes: Int32Array.from(values as (string | null)[], (v) => (v === null ? -1 : dictionary.indexOf(v))) };
  });
  return { rowCount: Object.values(columns)[0]?.length ?? 0, columns: built };
}
