/** Reading a partitioned log back with DuckDB, the way the drift monitor does. */
import { quoteString } from '../data/sql-literals.js';
import { withDuckDB } from '../data/duckdb-connection.js';

export type LogRow = Record<string, string | number | boolean | null>;

/**
 * Rows of every Parquet file under `directory` with `fromMs <= ts < toMs`, with `ts` also as
 * epoch ms in `ts_ms` and without the hive partition columns.
 */
export async function readLogRows(directory: string, fromMs: number, toMs: number, orderBy: string): Promise<LogRow[]> {
  return withDuckDB(async (connection) => {
    const files = quoteString(`${directory}/**/*.parquet`);
    const reader = await connection.runAndReadAll(
      `SELECT * EXCLUDE (date, hour), epoch_ms(ts) AS ts_ms FROM read_parquet(${files}, hive_partitioning = true, union_by_name = true, hive_types = {'date': DATE, 'hour': INTEGER}) ` +
        `WHERE ts >= epoch_ms($from::BIGINT) AND ts < epoch_ms($to::BIGINT) ORDER BY ${orderBy}`,
      { from: Math.floor(fromMs), to: Math.ceil(toMs) },
    );
    return reader.getRowObjectsJS().map((row) => {
      const plain: LogRow = {};
      for (const [name, value] of Object.entries(row)) {
        plain[name] = typeof value === 'bigint' ? Number(value) : value === null || typeof value !== 'object' ? (value as LogRow[string]) : String(value);
      }
      return plain;
    });
  });
}
