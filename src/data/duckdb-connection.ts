import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export interface DuckDBOptions {
  /** Worker threads (default: one per core). */
  threads?: number;
}

/**
 * Runs `work` on a fresh in-memory DuckDB and closes it afterwards, so the memory of
 * temporary tables goes back to the system as soon as the data sits in JS typed arrays.
 */
export async function withDuckDB<T>(work: (connection: DuckDBConnection) => Promise<T>, options: DuckDBOptions = {}): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:', options.threads === undefined ? {} : { threads: String(options.threads) });
  const connection = await instance.connect();
  try {
    return await work(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
