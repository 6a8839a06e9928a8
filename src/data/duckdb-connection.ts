import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/**
 * Runs `work` on a fresh in-memory DuckDB and closes it afterwards, so the memory of
 * temporary tables goes back to the system as soon as the data sits in JS typed arrays.
 */
export async function withDuckDB<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return await work(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
