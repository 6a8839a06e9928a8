/**
 * Feature preprocessing: fit the encodings (standardisation, one-hot) on the training rows, and
 * turn table rows into the design matrix the trainer works on. The same encodings, stored in
 * the artifact, are applied again at scoring time (see predict.ts).
 */
import type { Column, Table } from '../data/table.js';
import { getColumn } from '../data/table.js';
import type { FeatureEncoding } from './artifact.js';
import { FeatureTypeError, MissingFeatureError } from './input-errors.js';

export function fitFeatureEncodings(table: Table, features: string[], rows: Uint32Array, minCategoryCount: number): FeatureEncoding[] {
  return features.map((name) => {
    const column = requireColumn(table, name);
    return column.kind === 'numeric' ? fitStandardisation(name, column.values, rows) : fitOneHot(name, column.codes, column.dictionary, rows, minCategoryCount);
  });
}

/** Mean and population std over non-missing training values; a constant column keeps std 1 so it encodes as 0. */
function fitStandardisation(name: string, values: Float64Array, rows: Uint32Array): FeatureEncoding {
  let count = 0;
  let sum = 0;
  for (let i = 0; i < rows.length; i++) {
    const v = values[rows[i]!]!;
    if (v === v) {
      sum += v;
      count++;
    }
  }
  const mean = count > 0 ? sum / count : 0;
  // Second pass on deviations: the one-pass formula loses precision when |mean| ≫ std.
  let squares = 0;
  for (let i = 0; i < rows.length; i++) {
    const v = values[rows[i]!]!;
    if (v === v) squares += (v - mean) * (v - mean);
  }
  const std = count > 0 ? Math.sqrt(squares / count) : 0;
  return { name, kind: 'numeric', mean, std: std > 0 ? std : 1 };
}

/** Categories seen at least `minCategoryCount` times (and at least once), sorted so the column order is reproducible. */
function fitOneHot(name: string, codes: Int32Array, dictionary: string[], rows: Uint32Array, minCategoryCount: number): FeatureEncoding {
  const counts = new Float64Array(dictionary.length);
  for (let i = 0; i < rows.length; i++) {
    const code = codes[rows[i]!]!;
    if (code >= 0) counts[code]!++;
  }
  const threshold = Math.max(1, minCategoryCount);
  const categories = dictionary.filter((_, code) => counts[code]! >= threshold);
  // Code-unit order, not locale order: the same categories sort the same on every machine.
  categories.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { name, kind: 'categorical', categories };
}

/** Encoded columns: one per numeric feature, one per kept category. */
export function encodedWidth(encodings: readonly FeatureEncoding[]): number {
  let width = 0;
  for (const encoding of encodings) width += encoding.kind === 'numeric' ? 1 : encoding.categories.length;
  return width;
}

/** Human-readable names of the encoded columns, in weight order: `age`, `colour=red`. */
export function encodedColumnNames(encodings: readonly FeatureEncoding[]): string[] {
  return encodings.flatMap((e) => (e.kind === 'numeric' ? [e.name] : e.categories.map((c) => `${e.name}=${c}`)));
}

/**
 * The encoded rows, stored the way the training loop reads them fastest. A one-hot block has a
 * single 1 per row, so instead of a dense block we keep which encoded column is hot: the loop
 * adds one weight per categorical feature instead of multiplying a row of zeros.
 */
export interface DesignMatrix {
  rowCount: number;
  /** All encoded columns (the weight vector's length, intercept excluded). */
  width: number;
  /** Standardised numeric features, row-major: row i, feature j at `i * numericCount + j`. */
  numeric: Float64Array;
  numericCount: number;
  /** The encoded column (weight index) of each numeric feature. */
  numericColumn: Int32Array;
  /**
   * Row-major: for row i and categorical feature k, the hot encoded column, or `width` when the
   * row encodes as all zeros (missing, unseen or rare) — a slot whose weight is always 0, so the
   * training loop needs no branch.
   */
  hot: Int32Array;
  categoricalCount: number;
}

export function buildDesignMatrix(table: Table, encodings: readonly FeatureEncoding[], rows: Uint32Array): DesignMatrix {
  const rowCount = rows.length;
  const numericEncodings = encodings.filter((e) => e.kind === 'numeric');
  const numericCount = numericEncodings.length;
  const categoricalCount = encodings.length - numericCount;
  const numeric = new Float64Array(rowCount * numericCount);
  const hot = new Int32Array(rowCount * categoricalCount);
  const numericColumn = new Int32Array(numericCount);
  const width = encodedWidth(encodings);
  let encodedColumn = 0;
  let numericIndex = 0;
  let categoricalIndex = 0;
  for (const encoding of encodings) {
    const column = requireColumn(table, encoding.name);
    if (encoding.kind === 'numeric') {
      const values = numericValues(column, encoding.name);
      const { mean, std } = encoding;
      for (let i = 0, out = numericIndex; i < rowCount; i++, out += numericCount) {
        const v = values[rows[i]!]!;
        numeric[out] = v === v ? (v - mean) / std : 0; // missing → the mean, which standardises to 0
      }
      numericColumn[numericIndex++] = encodedColumn++;
    } else {
      const { codes, lookup } = categoryLookup(column, encoding.categories, encodedColumn);
      for (let i = 0, out = categoricalIndex; i < rowCount; i++, out += categoricalCount) {
        const code = codes[rows[i]!]!;
        const column = code >= 0 ? lookup[code]! : -1;
        hot[out] = column >= 0 ? column : width;
      }
      categoricalIndex++;
      encodedColumn += encoding.categories.length;
    }
  }
  return { rowCount, width, numeric, numericCount, numericColumn, hot, categoricalCount };
}

export function requireColumn(table: Table, name: string): Column {
  const column = getColumn(table, name);
  if (!column) throw new MissingFeatureError(name, 'table', table.columns.map((c) => c.name));
  return column;
}

/**
 * A numeric feature's values. A text column is accepted when every value reads as a number:
 * a scoring file may have been typed differently from the training file.
 */
export function numericValues(column: Column, feature: string): Float64Array {
  if (column.kind === 'numeric') return column.values;
  const parsed = column.dictionary.map((text) => (text.trim() === '' ? Number.NaN : Number(text)));
  const values = new Float64Array(column.codes.length);
  for (let row = 0; row < values.length; row++) {
    const code = column.codes[row]!;
    const v = code >= 0 ? parsed[code]! : Number.NaN;
    if (v !== v && code >= 0 && column.dictionary[code]!.trim() !== '') {
      throw new FeatureTypeError(feature, 'numeric', `the text ${JSON.stringify(column.dictionary[code])} in row ${row + 1}`);
    }
    values[row] = v;
  }
  return values;
}

/**
 * Per-row dictionary codes and, per code, `offset` + the category's position (or -1 when the
 * model never kept that category). A numeric column is read as the text of its numbers.
 */
export function categoryLookup(column: Column, categories: readonly string[], offset: number): { codes: Int32Array; lookup: Int32Array } {
  const position = new Map(categories.map((category, index) => [category, offset + index]));
  const { codes, dictionary } = column.kind === 'categorical' ? column : numbersAsCategories(column.values);
  const lookup = Int32Array.from(dictionary, (category) => position.get(category) ?? -1);
  return { codes, lookup };
}

function numbersAsCategories(values: Float64Array): { codes: Int32Array; dictionary: string[] } {
  const codeOf = new Map<number, number>();
  const dictionary: string[] = [];
  const codes = new Int32Array(values.length);
  for (let row = 0; row < values.length; row++) {
    const v = values[row]!;
    if (v !== v) {
      codes[row] = -1;
      continue;
    }
    let code = codeOf.get(v);
    if (code === undefined) {
      code = dictionary.length;
      codeOf.set(v, code);
      dictionary.push(String(v));
    }
    codes[row] = code;
  }
  return { codes, dictionary };
}
