/**
 * `mlops gateway`: runs the traffic gateway in the foreground until SIGTERM or SIGINT, then
 * finishes the requests in flight and flushes the prediction and label logs before exiting.
 */
import { startGateway } from '../../serving/gateway.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { openBlobStore } from '../../storage/open-blob-store.js';
import { StorageConfig } from '../../storage/storage-config.js';
import { settingsFromEnv } from '../../temporal/settings.js';
import { nextShutdownSignal } from '../shutdown-signal.js';

export interface GatewayCommandOptions {
  host: string;
  port: number;
  /** Default: MLOPS_DATA_DIR or .data */
  dataDir?: string;
  /** Name of the environment variable holding the admin token (default MLOPS_GATEWAY_TOKEN). */
  tokenEnv?: string;
  /** This replica's route table directory, when replicas share one data directory for their logs. */
  stateDir?: string;
  /** Upload the logs to this object store (the pipelines' `storage`). */
  storage?: string;
  storageEndpoint?: string;
  storageRegion?: string;
  storagePathStyle?: boolean;
}

export const DEFAULT_TOKEN_ENV = 'MLOPS_GATEWAY_TOKEN';

export async function gatewayCommand(options: GatewayCommandOptions, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const tokenEnv = options.tokenEnv ?? DEFAULT_TOKEN_ENV;
  const adminToken = env[tokenEnv];
  if (!adminToken) {
    console.error(`gateway: set the admin token in ${tokenEnv} (for example: export ${tokenEnv}=$(openssl rand -hex 32)); refusing to start without one`);
    return 2;
  }
  const dataDir = options.dataDir ?? settingsFromEnv(env).dataDir;
  let logStore: BlobStore | undefined;
  if (options.storage) {
    const config = StorageConfig.safeParse({
      url: options.storage, ...(options.storageEndpoint && { endpoint: options.storageEndpoint }),
      ...(options.storageRegion && { region: options.storageRegion }), ...(options.storagePathStyle && { forcePathStyle: true }),
    });
    if (!config.success) {
      console.error(`gateway: --storage: ${config.error.issues.map((issue) => `${issue.path.join('.') || 'url'}: ${issue.message}`).join('; ')}`);
      return 2;
    }
    logStore = openBlobStore(config.data);
  }
  const shutdown = nextShutdownSignal();
  const gateway = await startGateway({ host: options.host, port: options.port, dataDir, adminToken, ...(options.stateDir ? { stateDir: options.stateDir } : {}), ...(logStore && { logStore }) });
  console.log(`gateway: listening on ${gateway.url}${logStore ? `; logs uploaded to ${logStore.url}` : ''}`);
  const signal = await shutdown;
  console.log(`gateway: ${signal}, flushing logs and stopping`);
  await gateway.close();
  return 0;
}
