import { DatasetError } from './dataset-error.js';

export type DatasetFormat = 'csv' | 'parquet';

// DuckDB reads compressed CSV by extension, so `.csv.gz` and `.csv.zst` count as CSV.
const FORMAT_BY_EXTENSION: ReadonlyArray<[RegExp, DatasetFormat]> = [
  [/\.csv(\.gz|\.zst)?$/i, 'csv'],
  [/\.(parquet|pq)$/i, 'parquet'],
];

/** The format a file's extension announces, or a DatasetError asking for an explicit `format`. */
export function inferDatasetFormat(path: string): DatasetFormat {
  for (const [pattern, format] of FORMAT_BY_EXTENSION) {
    if (pattern.test(path)) return format;
  }
  throw DatasetError.about(path, 'unsupported_format', 'cannot tell the format from the file extension; expected .csv or .parquet, or pass format: csv | parquet');
}

/** The extension to keep when copying the file: `.csv.gz` stays `.csv.gz` so readers still detect the compression. */
export function datasetExtension(path: string, format: DatasetFormat): string {
  const known = /\.(csv\.gz|csv\.zst|csv|parquet|pq)$/i.exec(path);
  return known ? known[1]!.toLowerCase() : format;
}
