/**
 * The embedded default: each version runs as a local `mlops serve` process behind the
 * gateway. Processes are detached and recorded under `<dataDir>/deployments/`, so they outlive
 * a worker crash and a retried activity finds them instead of starting a second one.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile, rename, open } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openGatewayAdmin, type GatewayAdmin } from '../serving/replicated-gateway-admin.js';
import { faultServeArgs } from './drill-faults.js';
import type { RegistrySection } from '../spec/schema.js';
import type { RouteTable } from '../serving/gateway-contract.js';
import type { DeployedVersion, DeployOptions, DeployTarget, TrafficSplit } from './deploy-target.js';

const MLOPS_BIN = new URL('../../bin/mlops', import.meta.url).pathname;

interface LocalDeployment {
  pid: number;
  url: string;
  startedAt: string;
  faults?: DeployOptions['faults'];
}

export interface LocalDeployTargetOptions {
  dataDir: string;
  /** The gateway, or every replica of it (each change goes to all). */
  gatewayUrl: string | readonly string[];
  gatewayToken: string;
  /** Registry directory the model servers load artifacts from (default `<dataDir>/registry`). */
  registryDir?: string;
  /** The pipeline's registry section (e.g. MLflow); the model servers load artifacts from it. */
  registry?: RegistrySection;
  readyTimeoutMs?: number;
  /** How often a start that is not ready yet heartbeats (default 5 s). */
  heartbeatEveryMs?: number;
}

export class LocalDeployTarget implements DeployTarget {
  private readonly gateway: GatewayAdmin;

  constructor(private readonly options: LocalDeployTargetOptions) {
    this.gateway = openGatewayAdmin(options.gatewayUrl, options.gatewayToken);
  }

  async deployVersion(model: string, version: number, deployOptions: DeployOptions = {}): Promise<DeployedVersion> {
    const dir = this.deploymentDir(model, version);
    const existing = await this.readDeployment(dir);
    let deployment: LocalDeployment;
    if (existing && isAlive(existing.pid) && sameFaults(existing.faults, deployOptions.faults) && (await isReady(existing.url, model))) {
      deployment = existing;
    } else {
      if (existing && isAlive(existing.pid)) process.kill(existing.pid, 'SIGTERM');
      deployment = await this.startServer(model, version, dir, deployOptions);
    }
    await this.gateway.addVersion(model, version, deployment.url);
    return { model, version, url: deployment.url, ref: `pid:${deployment.pid}` };
  }

  async setTrafficWeights(model: string, weights: Record<number, number>): Promise<TrafficSplit> {
    const table = await this.gateway.setWeights(model, { weights: Object.fromEntries(Object.entries(weights).map(([v, w]) => [v, w])) });
    return toSplit(table);
  }

  async getTrafficSplit(model: string): Promise<TrafficSplit | undefined> {
    const table = await this.gateway.routes(model);
    return table ? toSplit(table) : undefined;
  }

  async retireVersion(model: string, version: number): Promise<void> {
    await this.gateway.removeVersion(model, version);
    const dir = this.deploymentDir(model, version);
    const existing = await this.readDeployment(dir);
    if (existing && isAlive(existing.pid)) {
      process.kill(existing.pid, 'SIGTERM');
      for (let i = 0; i < 50 && isAlive(existing.pid); i++) await sleep(100);
      if (isAlive(existing.pid)) process.kill(existing.pid, 'SIGKILL');
    }
    await rm(path.join(dir, 'deployment.json'), { force: true });
  }

  private deploymentDir(model: string, version: number): string {
    return path.join(this.options.dataDir, 'deployments', model, `v${version}`);
  }

  private async readDeployment(dir: string): Promise<LocalDeployment | undefined> {
    try {
      return JSON.parse(await readFile(path.join(dir, 'deployment.json'), 'utf8')) as LocalDeployment;
    } catch {
      return undefined;
    }
  }

  private async startServer(model: string, version: number, dir: string, deployOptions: DeployOptions): Promise<LocalDeployment> {
    await mkdir(dir, { recursive: true });
    const logPath = path.join(dir, 'server.log');
    const log = await open(logPath, 'w');
    const args = ['serve', '--model', model, '--version', String(version), '--port', '0', '--host', '127.0.0.1'];
    if (this.options.registryDir) args.push('--registry-dir', this.options.registryDir);
    args.push(...faultServeArgs(deployOptions.faults));
    const child = spawn(MLOPS_BIN, args, {
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      env: {
        ...process.env,
        MLOPS_DATA_DIR: this.options.dataDir,
        ...(this.options.registry ? { MLOPS_REGISTRY: JSON.stringify(this.options.registry) } : {}),
      },
    });
    child.unref();
    await log.close();
    // Recorded before it is ready: a retry after a timeout or a worker crash finds this process
    // (alive, not ready) and stops it, instead of leaving it running unrecorded beside a new one.
    const starting: LocalDeployment = { pid: child.pid!, url: '', startedAt: new Date().toISOString(), faults: deployOptions.faults };
    await this.writeDeployment(dir, starting);
    let url: string;
    // A slow start (a loaded machine) must not look like a dead activity and be retried beside itself.
    const beat = setInterval(() => deployOptions.heartbeat?.(`starting the model server of ${model} v${version} (pid ${child.pid})`), this.options.heartbeatEveryMs ?? 5_000);
    try {
      url = await waitForReadyLine(logPath, child.pid!, this.options.readyTimeoutMs ?? 60_000);
    } catch (err) {
      if (isAlive(child.pid!)) process.kill(child.pid!, 'SIGKILL');
      throw err;
    } finally {
      clearInterval(beat);
    }
    const deployment: LocalDeployment = { ...starting, url };
    await this.writeDeployment(dir, deployment);
    return deployment;
  }

  private async writeDeployment(dir: string, deployment: LocalDeployment): Promise<void> {
    const file = path.join(dir, 'deployment.json');
    // A temporary name of its own: a dying attempt and its retry may write at the same moment,
    // and with one shared name the second rename finds nothing (seen under load: ENOENT).
    const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temporary, JSON.stringify(deployment, null, 2));
    await rename(temporary, file);
  }
}

function toSplit(table: RouteTable): TrafficSplit {
  return { model: table.model, weights: Object.fromEntries(table.routes.map((r) => [r.version, r.weight])), revision: table.revision };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sameFaults(a: DeployOptions['faults'], b: DeployOptions['faults']): boolean {
  return (a?.errorRate ?? 0) === (b?.errorRate ?? 0) && (a?.addedLatencyMs ?? 0) === (b?.addedLatencyMs ?? 0) && a?.duration === b?.duration && JSON.stringify(a?.flap ?? null) === JSON.stringify(b?.flap ?? null);
}

async function isReady(url: string, model: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/v2/models/${encodeURIComponent(model)}/ready`, { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return false;
  }
}

async function waitForReadyLine(logPath: string, pid: number, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await readFile(logPath, 'utf8').catch(() => '');
    const match = /model-server: .* ready on (http:\/\/\S+)/.exec(text);
    if (match) return match[1]!;
    if (!isAlive(pid)) throw new Error(`model server exited before it was ready; its log (${logPath}):\n${text.split('\n').slice(-15).join('\n')}`);
    await sleep(100);
  }
  throw new Error(`model server not ready after ${timeoutMs} ms; see ${logPath}`);
}
