import type { DataSection } from '../spec/schema.js';
import type { Table } from '../data/table.js';
import { DatasetError } from '../data/load-dataset.js';

/** The model's features: the declared list, or every column but the target and `exclude`. */
export function featureColumns(data: DataSection, table: Table): string[] {
  const present = new Set(table.columns.map((c) => c.name));
  if (!present.has(data.target)) {
    throw new DatasetError(`target column "${data.target}" (data.target) is not in the dataset; columns: ${[...present].join(', ')}`);
  }
  if (data.features) {
    const missing = data.features.filter((f) => !present.has(f));
    if (missing.length > 0) throw new DatasetError(`feature column(s) ${missing.map((m) => `"${m}"`).join(', ')} (data.features) not in the dataset`);
    return data.features;
  }
  const excluded = new Set([data.target, ...data.exclude]);
  return table.columns.map((c) => c.name).filter((name) => !excluded.has(name));
}
