/** Quoting for the few values we splice into DuckDB SQL (file paths, column names), where parameters are not allowed. */

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
