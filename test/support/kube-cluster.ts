/**
 * A real kube-apiserver (with kine) for one test file: scripts/kube-test-cluster on free ports in
 * a temp dir, the Istio and KServe CRDs installed and Established, stopped after. Without the
 * binaries (built by `scripts/kube-test-cluster install`) the kube tests skip with a loud banner.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createServer } from 'node:net';
import { KubernetesApiObjects, loadKubeConfig, type KubernetesObjects } from '../../src/deploy/k8s-client.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const script = path.join(root, 'scripts/kube-test-cluster');

export interface KubeTestCluster {
  dir: string;
  /** kubeconfig of `admin` (system:masters). */
  kubeconfig: string;
  /** kubeconfig of system:serviceaccount:default:mlops-worker (rights only from deploy/k8s/rbac.yaml). */
  workerKubeconfig: string;
  apiUrl: string;
  /** Objects client as admin. */
  objects: KubernetesObjects;
  /** Raw HTTPS request as admin, for what the adapters never do (status subresource, RBAC objects). */
  request(method: string, apiPath: string, body?: unknown, contentType?: string): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

/** Whether the kube-apiserver and kine binaries are installed; prints a loud banner when not. */
export function kubeBinariesAvailable(): boolean {
  const ok = ['kube-apiserver', 'kine'].every((b) => existsSync(path.join(root, '.tools/bin', b)));
  if (!ok) {
    const line = '!'.repeat(100);
    console.warn(`\n${line}\n!! SKIPPING the Kubernetes tests: .tools/bin/kube-apiserver or .tools/bin/kine is missing.\n!! Build them once (10-20 min cold, cached by version) with: scripts/kube-test-cluster install\n${line}\n`);
  }
  return ok;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function startKubeTestCluster(): Promise<KubeTestCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mlops-kube-'));
  const env = { ...process.env, KUBE_TEST_DIR: dir, KUBE_API_PORT: String(await freePort()), KUBE_KINE_PORT: String(await freePort()) };
  const stopSync = () => {
    try {
      execFileSync(script, ['stop'], { env, stdio: 'ignore' });
    } catch {
      // already stopped
    }
  };
  // A crashed test process must not leave an API server behind.
  process.once('exit', stopSync);
  try {
    await run(script, ['start'], { env, timeout: 170_000 });
  } catch (err) {
    stopSync();
    process.removeListener('exit', stopSync);
    await rm(dir, { recursive: true, force: true });
    const e = err as { stderr?: string; message: string };
    throw new Error(`scripts/kube-test-cluster start failed: ${e.stderr ?? e.message}`);
  }
  const kubeconfig = path.join(dir, 'kubeconfig');
  const config = loadKubeConfig({ kubeconfig });
  const apiUrl = config.getCurrentCluster()!.server;
  const token = readFileSync(path.join(dir, 'token'), 'utf8').trim();
  const ca = readFileSync(path.join(dir, 'certs/apiserver.crt'));
  const { Agent, request: undiciRequest } = await import('undici');
  const dispatcher = new Agent({ connect: { ca } });
  return {
    dir,
    kubeconfig,
    workerKubeconfig: path.join(dir, 'kubeconfig-worker'),
    apiUrl,
    objects: new KubernetesApiObjects(config),
    async request(method, apiPath, body, contentType = 'application/json') {
      const response = await undiciRequest(`${apiUrl}${apiPath}`, {
        method: method as 'GET',
        dispatcher,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.body.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: response.statusCode, body: parsed };
    },
    async stop() {
      process.removeListener('exit', stopSync);
      await dispatcher.close();
      await run(script, ['stop'], { env }).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
