import type { Table } from '../data/table.js';
import { getColumn } from '../data/table.js';
import { DatasetError } from '../data/load-dataset.js';

/** The target column as 0/1 labels; anything else is an error naming the row. */
export function targetLabels(table: Table, target: string): Float64Array {
  const column = getColumn(table, target);
  if (!column) throw new DatasetError(`target column "${target}" is not in the dataset`);
  if (column.kind !== 'numeric') {
    throw new DatasetError(`target column "${target}" must hold 0/1 or true/false, found text values such as ${JSON.stringify(column.dictionary[0])}`);
  }
  for (let i = 0; i < column.values.length; i++) {
    const v = column.values[i]!;
    if (v !== 0 && v !== 1) {
      throw new DatasetError(`target column "${target}" must hold 0/1 or true/false; row ${i + 1} has ${Number.isNaN(v) ? 'a missing value' : v}`);
    }
  }
  return column.values;
}
