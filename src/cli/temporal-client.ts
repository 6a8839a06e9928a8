import { Client, Connection } from '@temporalio/client';
import type { Settings } from '../temporal/settings.js';

export async function connectClient(settings: Settings): Promise<Client> {
  try {
    const connection = await Connection.connect({ address: settings.temporalAddress, connectTimeout: '5 seconds' });
    return new Client({ connection, namespace: settings.namespace });
  } catch (err) {
    throw new Error(
      `cannot reach Temporal at ${settings.temporalAddress} (${(err as Error).message}). Start the dev server with "scripts/temporal-dev-server start" or set TEMPORAL_ADDRESS.`,
    );
  }
}
