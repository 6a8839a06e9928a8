/** Starting a gateway on a temp dir and talking to it, for the gateway tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { startGateway, type GatewayOptions, type RunningGateway } from '../../../src/serving/gateway.js';

export const ADMIN_TOKEN = 'test-admin-token';

export interface TestGateway extends RunningGateway {
  dataDir: string;
  client: Pool;
  admin(method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; body: any }>;
  infer(model: string, body: string, headers?: Record<string, string>, version?: number): Promise<{ status: number; body: any; headers: Record<string, string> }>;
  feedback(model: string, body: unknown): Promise<{ status: number; body: any }>;
  metricsText(): Promise<string>;
}

export async function makeDataDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'mlops-gateway-'));
}

export async function removeDataDir(dataDir: string): Promise<void> {
  await rm(dataDir, { recursive: true, force: true });
}

export async function startTestGateway(options: Partial<GatewayOptions> & { dataDir: string }): Promise<TestGateway> {
  const gateway = await startGateway({ adminToken: ADMIN_TOKEN, ...options });
  const client = new Pool(gateway.url, { connections: 64 });
  const call = async (method: string, requestPath: string, body: string | undefined, headers: Record<string, string>) => {
    const answer = await client.request({ method: method as 'GET', path: requestPath, headers, body });
    const text = await answer.body.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (metrics)
    }
    return { status: answer.statusCode, body: parsed as any, headers: answer.headers as Record<string, string> };
  };
  return {
    ...gateway,
    dataDir: options.dataDir,
    client,
    admin: (method, requestPath, body, token = ADMIN_TOKEN) =>
      call(method, requestPath, body === undefined ? undefined : JSON.stringify(body), {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      }),
    infer: (model, body, headers = {}, version) =>
      call('POST', version === undefined ? `/v2/models/${model}/infer` : `/v2/models/${model}/versions/${version}/infer`, body, { 'content-type': 'application/json', ...headers }),
    feedback: (model, body) => call('POST', `/v2/models/${model}/feedback`, JSON.stringify(body), { 'content-type': 'application/json' }),
    metricsText: async () => String((await call('GET', '/metrics', undefined, {})).body),
    close: async () => {
      await client.close();
      await gateway.close();
    },
  };
}

/** Routes `model` to the given upstreams (version → url) with the given weights. */
export async function routeModel(gateway: TestGateway, model: string, urls: Record<number, string>, weights: Record<number, number>): Promise<void> {
  for (const [version, url] of Object.entries(urls)) {
    const answer = await gateway.admin('PUT', `/admin/models/${model}/versions/${version}`, { url });
    if (answer.status !== 200) throw new Error(`adding version ${version}: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  const answer = await gateway.admin('PUT', `/admin/models/${model}/weights`, { weights });
  if (answer.status !== 200) throw new Error(`setting weights: ${answer.status} ${JSON.stringify(answer.body)}`);
}

/** Runs `count` calls with at most `concurrency` in flight. */
export async function inParallel<T>(count: number, concurrency: number, call: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await call(index);
      }
    }),
  );
  return results;
}

/** The value of one sample line of a Prometheus text exposition, or 0 when absent. */
export function sampleValue(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.lastIndexOf('}'));
    const found = Object.fromEntries([...labelText.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value) && Object.keys(found).length === Object.keys(labels).length) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return 0;
}
