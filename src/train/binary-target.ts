/**
 * Reads the label of a binary classifier: 0/1 numbers, booleans (loaded as 0/1), or the text
 * "0"/"1"/"true"/"false" when a file was typed as text. Anything else names the row and value.
 */
import type { Table } from '../data/table.js';
import { TargetValueError } from './input-errors.js';
import { requireColumn } from './preprocess.js';

const LABEL_OF_TEXT: Record<string, number> = { '0': 0, '1': 1, false: 0, true: 1 };

/** Labels (0 or 1) of `rows`, in the order of `rows`. */
export function readBinaryTarget(table: Table, target: string, rows: Uint32Array): Float64Array {
  const column = requireColumn(table, target);
  const labels = new Float64Array(rows.length);
  if (column.kind === 'numeric') {
    const { values } = column;
    for (let i = 0; i < rows.length; i++) {
      const v = values[rows[i]!]!;
      if (v !== 0 && v !== 1) throw new TargetValueError(target, rows[i]!, Number.isNaN(v) ? null : v);
      labels[i] = v;
    }
    return labels;
  }
  const labelOfCode = column.dictionary.map((text) => LABEL_OF_TEXT[text.trim().toLowerCase()] ?? -1);
  for (let i = 0; i < rows.length; i++) {
    const code = column.codes[rows[i]!]!;
    const label = code >= 0 ? labelOfCode[code]! : -1;
    if (label < 0) throw new TargetValueError(target, rows[i]!, code >= 0 ? column.dictionary[code] : null);
    labels[i] = label;
  }
  return labels;
}
