/**
 * A Google Cloud Storage emulator for tests: fake-gcs-server (built once by
 * scripts/install-fake-gcs-server into ~/.cache/mlops-control-plane, linked at
 * .tools/bin/fake-gcs-server), in memory on a free port. Its XML API answers path-style GETs with
 * `?generation=` and `x-goog-generation`, as storage.googleapis.com does for an S3 client with
 * an HMAC key, so the webhook server reads GCS objects through the same S3 adapter as in
 * production. Buckets and objects are made through its JSON API, as gcloud would.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from './global-setup.js';

const root = path.resolve(import.meta.dirname, '../..');
const binary = path.join(root, '.tools/bin/fake-gcs-server');

export interface RunningGcsServer {
  /** The XML API endpoint (what `storage.endpoint` names, instead of https://storage.googleapis.com). */
  endpoint: string;
  createBucket(name: string, options?: { versioning?: boolean }): Promise<void>;
  /** Uploads `bytes` as `name`; returns the generation GCS gave this write. */
  upload(bucket: string, name: string, bytes: Buffer): Promise<string>;
  stop(): Promise<void>;
}

export async function startGcsServer(): Promise<RunningGcsServer> {
  // Built here when missing (a new machine; about a minute), like actionlint.
  if (!existsSync(binary)) await promisify(execFile)(path.join(root, 'scripts/install-fake-gcs-server'), [], { cwd: root, timeout: 900_000 });
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const server = spawn(binary, ['-scheme', 'http', '-host', '127.0.0.1', '-port', String(port), '-public-host', `127.0.0.1:${port}`, '-backend', 'memory', '-log-level', 'error'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  server.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const api = async (method: string, url: string, body?: string | Uint8Array, contentType = 'application/json') => {
    const response = await fetch(`${endpoint}${url}`, { method, ...(body !== undefined && { body, headers: { 'content-type': contentType } }) });
    const text = await response.text();
    if (!response.ok) throw new Error(`fake-gcs-server ${method} ${url}: ${response.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  for (let attempt = 0; ; attempt++) {
    if (server.exitCode !== null) throw new Error(`fake-gcs-server exited (${server.exitCode}): ${errors}`);
    if (await fetch(`${endpoint}/storage/v1/b`).then((r) => r.ok, () => false)) break;
    if (attempt > 200) throw new Error(`fake-gcs-server did not answer on ${endpoint} in 20 s: ${errors}`);
    await sleep(100);
  }
  return {
    endpoint,
    async createBucket(name, options = {}) {
      await api('POST', '/storage/v1/b?project=test', JSON.stringify({ name, ...(options.versioning && { versioning: { enabled: true } }) }));
    },
    async upload(bucket, name, bytes) {
      const object = await api('POST', `/upload/storage/v1/b/${bucket}/o?uploadType=media&name=${encodeURIComponent(name)}`, new Uint8Array(bytes), 'text/csv');
      return String(object.generation);
    },
    async stop() {
      server.kill('SIGTERM');
      await new Promise((resolve) => (server.exitCode !== null ? resolve(undefined) : server.once('exit', resolve)));
    },
  };
}
