/**
 * The production Temporal topology for one test file: scripts/temporal-cluster (the Temporal server
 * built from Go modules, on a private PostgreSQL) in a temp dir, on free ports, stopped after.
 * Without the binaries (built once by `scripts/temporal-cluster build`) starting fails with a
 * message that says so: the build takes minutes and a test must never start it silently.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const script = path.join(root, 'scripts/temporal-cluster');
/** How many consecutive ports the server takes from its frontend port (see scripts/temporal-cluster). */
const SERVER_PORTS = 10;

export interface TemporalCluster {
  /** host:port of the frontend. */
  address: string;
  /** State dir: PostgreSQL data, rendered config, server.log. */
  dir: string;
  /** Runs one statement as the PostgreSQL superuser in `database`; unaligned rows, `|`-separated. */
  psql(database: 'temporal' | 'temporal_visibility', sql: string): Promise<string>;
  /** Stops the server and PostgreSQL, then starts both again on the same data and ports. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Why the cluster cannot start here (binaries not built), or undefined when it can. */
export function temporalClusterUnavailableReason(): string | undefined {
  const version = /^VERSION=(\S+)$/m.exec(readFileSync(script, 'utf8'))?.[1];
  const cacheRoot = process.env.MLOPS_CACHE ?? path.join(os.homedir(), '.cache/mlops-control-plane');
  const cache = path.join(cacheRoot, `temporal-server-${version}`);
  if (!existsSync(path.join(cache, '.complete'))) {
    return `the Temporal server ${version} is not built (${cache} is missing). Build it once with: scripts/temporal-cluster build (about 6 min cold on 2 cores, cached by version)`;
  }
  return undefined;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A base port with `count` free consecutive ports, below the ephemeral range other tests draw from. */
async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 1_000) * 10;
    let free = true;
    for (let p = base; p < base + count && free; p++) free = await portFree(p);
    if (free) return base;
  }
  throw new Error(`no ${count} consecutive free ports found between 20000 and 30000`);
}

export async function startTemporalCluster(): Promise<TemporalCluster> {
  const reason = temporalClusterUnavailableReason();
  if (reason) throw new Error(`Cannot start the Temporal cluster: ${reason}`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mlops-temporal-cluster-'));
  const base = await freePortRange(SERVER_PORTS + 1);
  const env = {
    ...process.env,
    TEMPORAL_CLUSTER_DIR: dir,
    TEMPORAL_CLUSTER_PORT: String(base),
    TEMPORAL_CLUSTER_PG_PORT: String(base + SERVER_PORTS),
    TEMPORAL_CLUSTER_NO_BUILD: '1',
  };
  const stopSync = () => {
    try {
      execFileSync(script, ['stop'], { env, stdio: 'ignore' });
    } catch {
      // already stopped
    }
  };
  // A crashed test process must not leave a server or a PostgreSQL behind.
  process.once('exit', stopSync);
  const start = async () => {
    try {
      const { stdout } = await run(script, ['start'], { env, timeout: 170_000 });
      return stdout.trim().split('\n').pop()!;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`scripts/temporal-cluster start failed: ${e.stderr || e.message}`);
    }
  };
  let address: string;
  try {
    address = await start();
  } catch (err) {
    stopSync();
    process.removeListener('exit', stopSync);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    address,
    dir,
    async psql(database, sql) {
      const { stdout } = await run(script, ['psql', '-d', database, '-tA', '-c', sql], { env });
      return stdout.trim();
    },
    async restart() {
      await run(script, ['stop'], { env });
      const again = await start();
      if (again !== address) throw new Error(`the cluster came back on ${again}, not ${address}`);
    },
    async stop() {
      process.removeListener('exit', stopSync);
      await run(script, ['stop'], { env }).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
