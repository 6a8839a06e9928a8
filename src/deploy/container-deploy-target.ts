/**
 * The container target: each version runs as a container from the serving image the pipeline
 * built and pushed (pulled by digest, so exactly the recorded bytes run), behind the gateway.
 * Containers use the host network (the only one our engines offer) on a free loopback port, are
 * named `mlops-<model>-v<version>` and restart with the engine, so a retried activity finds the
 * running one instead of starting a second. A version gets traffic only once it answers ready.
 */
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { openGatewayAdmin, type GatewayAdmin } from '../serving/replicated-gateway-admin.js';
import type { RouteTable } from '../serving/gateway-contract.js';
import { durationToMs } from '../spec/duration.js';
import { faultEnv } from './drill-faults.js';
import type { ContainerDeploy } from '../spec/schema.js';
import { openRegistry } from '../registry/open-registry.js';
import type { ServingImageRecord } from '../registry/model-registry.js';
import { dockerEngine, hasImage } from '../build/docker-engine.js';
import { pullImage } from '../build/image-operations.js';
import { registryCredentials } from '../build/registry-credentials.js';
import { parseByteSize } from '../build/byte-size.js';
import type { DeployedVersion, DeployOptions, DeployTarget, TrafficSplit } from './deploy-target.js';

export interface ContainerDeployTargetOptions {
  dataDir: string;
  /** The gateway, or every replica of it (each change goes to all). */
  gatewayUrl: string | readonly string[];
  gatewayToken: string;
  settings: ContainerDeploy;
  /** Embedded registry directory the serving image records are read from (default `<dataDir>/registry`). */
  registryDir?: string;
  docker?: Docker;
  env?: NodeJS.ProcessEnv;
}

/** A version has no serving image in its lineage: the pipeline builds one when deploy.target is container. */
export class ServingImageNotRecorded extends Error {
  override readonly name = 'ServingImageNotRecorded';
}

/** The container exited or never answered ready. */
export class ContainerNotReady extends Error {
  override readonly name = 'ContainerNotReady';
}

const LABEL_MODEL = 'io.mlops.model';
const LABEL_VERSION = 'io.mlops.version';
const LABEL_URL = 'io.mlops.url';
const LABEL_FAULTS = 'io.mlops.faults';
const STOP_GRACE_SECONDS = 5;

export class ContainerDeployTarget implements DeployTarget {
  private readonly gateway: GatewayAdmin;
  private readonly docker: Docker;

  constructor(private readonly options: ContainerDeployTargetOptions) {
    this.gateway = openGatewayAdmin(options.gatewayUrl, options.gatewayToken);
    this.docker = options.docker ?? dockerEngine();
  }

  async deployVersion(model: string, version: number, deployOptions: DeployOptions = {}): Promise<DeployedVersion> {
    const image = await this.servingImage(model, version);
    const pinned = `${image.reference.replace(/:[^:/]+$/, '')}@${image.digest}`;
    const name = containerName(model, version);
    const faults = JSON.stringify(deployOptions.faults ?? null);
    const existing = await this.inspect(name);
    let url: string;
    if (existing?.State.Running && existing.Config.Image === pinned && existing.Config.Labels[LABEL_FAULTS] === faults && (await isReady(existing.Config.Labels[LABEL_URL]!, model))) {
      url = existing.Config.Labels[LABEL_URL]!;
    } else {
      if (existing) await this.remove(name);
      url = await this.start(model, version, name, pinned, deployOptions, faults);
    }
    await this.gateway.addVersion(model, version, url);
    return { model, version, url, ref: `container:${name}` };
  }

  async setTrafficWeights(model: string, weights: Record<number, number>): Promise<TrafficSplit> {
    return toSplit(await this.gateway.setWeights(model, { weights: Object.fromEntries(Object.entries(weights)) }));
  }

  async getTrafficSplit(model: string): Promise<TrafficSplit | undefined> {
    const table = await this.gateway.routes(model);
    return table ? toSplit(table) : undefined;
  }

  async retireVersion(model: string, version: number): Promise<void> {
    await this.gateway.removeVersion(model, version);
    await this.remove(containerName(model, version));
  }

  /** The image record the pipeline's build step left in the version's lineage. */
  private async servingImage(model: string, version: number): Promise<ServingImageRecord> {
    const registry = await openRegistry({ kind: 'embedded', path: this.options.registryDir }, { dataDir: this.options.dataDir });
    try {
      const registered = await registry.getVersion(model, version);
      const image = registered?.lineage.servingImage;
      if (!image) {
        throw new ServingImageNotRecorded(
          registered
            ? `"${model}" v${version} has no serving image in its lineage; the pipeline builds and records one when deploy.target is container`
            : `model "${model}" has no version ${version} in the registry`,
        );
      }
      return image;
    } finally {
      await registry.close();
    }
  }

  private async start(model: string, version: number, name: string, pinned: string, deployOptions: DeployOptions, faults: string): Promise<string> {
    const { settings } = this.options;
    if (!(await hasImage(this.docker, pinned))) {
      await pullImage(this.docker, pinned, { credentials: registryCredentials(settings.registry, this.options.env) });
    }
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = [`MLOPS_SERVING_HOST=127.0.0.1`, `MLOPS_SERVING_PORT=${port}`, ...faultEnv(deployOptions.faults)];
    const memory = parseByteSize(settings.memory);
    const container = await this.docker.createContainer({
      name,
      Image: pinned,
      Env: env,
      Labels: { [LABEL_MODEL]: model, [LABEL_VERSION]: String(version), [LABEL_URL]: url, [LABEL_FAULTS]: faults },
      StopTimeout: STOP_GRACE_SECONDS,
      HostConfig: {
        NetworkMode: 'host',
        NanoCpus: Math.round(settings.cpus * 1e9),
        Memory: memory,
        MemorySwap: memory,
        // A crashed model server comes back, and so do the versions after an engine restart.
        RestartPolicy: { Name: 'unless-stopped' },
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } },
      },
    });
    await container.start();
    await this.waitUntilReady(container, url, model, durationToMs(settings.readyTimeout));
    return url;
  }

  private async waitUntilReady(container: Docker.Container, url: string, model: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await isReady(url, model)) return;
      const state = (await container.inspect()).State;
      if (!state.Running && !state.Restarting) {
        throw new ContainerNotReady(`container ${container.id.slice(0, 12)} exited with code ${state.ExitCode} before it was ready; its log:\n${await logTail(container)}`);
      }
      await sleep(100);
    }
    throw new ContainerNotReady(`container ${container.id.slice(0, 12)} did not answer ready at ${url} within ${timeoutMs} ms; its log:\n${await logTail(container)}`);
  }

  private async inspect(name: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await this.docker.getContainer(name).inspect();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
  }

  private async remove(name: string): Promise<void> {
    const container = this.docker.getContainer(name);
    try {
      await container.stop({ t: STOP_GRACE_SECONDS });
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status !== 304 && status !== 404) throw err; // 304: already stopped
    }
    try {
      await container.remove({ force: true });
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status !== 404 && status !== 409) throw err; // 409: removal already in progress
    }
  }
}

/** `mlops-<model>-v<version>`: one container per version, found again by name after a crash. */
export function containerName(model: string, version: number): string {
  return `mlops-${model.replace(/[^a-zA-Z0-9_.-]/g, '-')}-v${version}`;
}

function toSplit(table: RouteTable): TrafficSplit {
  return { model: table.model, weights: Object.fromEntries(table.routes.map((r) => [r.version, r.weight])), revision: table.revision };
}

async function isReady(url: string, model: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/v2/models/${encodeURIComponent(model)}/ready`, { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return false;
  }
}

async function logTail(container: Docker.Container): Promise<string> {
  try {
    const buffer = (await container.logs({ stdout: true, stderr: true, tail: 20, follow: false })) as unknown as Buffer;
    return demuxToText(buffer);
  } catch (err) {
    return `(log unavailable: ${(err as Error).message})`;
  }
}

/** The engine's multiplexed log format: 8-byte headers (stream, size) before each chunk. */
function demuxToText(buffer: Buffer): string {
  const chunks: string[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    chunks.push(buffer.subarray(offset + 8, offset + 8 + size).toString('utf8'));
    offset += 8 + size;
  }
  return (offset === 0 ? buffer.toString('utf8') : chunks.join('')).trimEnd();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
