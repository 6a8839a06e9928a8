/**
 * A real S3 server for tests: the SeaweedFS `weed` binary that `scripts/object-store build`
 * builds once into ~/.cache/mlops-control-plane (linked at .tools/bin/weed), run on free ports
 * in a temp directory, with one identity so every request must be signed. The tests fail (not
 * skip) when the binary is missing: an S3 path that silently stops being tested is worse.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const root = path.resolve(import.meta.dirname, '../..');
export const weedBinary = process.env.MLOPS_WEED_BINARY ?? path.join(root, '.tools/bin/weed');

export interface RunningObjectStore {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** A client signed with the server's identity, for setting up and inspecting objects directly. */
  client: S3Client;
  directory: string;
  stop(): Promise<void>;
}

export async function startObjectStore(bucket = 'mlops-test'): Promise<RunningObjectStore> {
  if (!existsSync(weedBinary)) {
    throw new Error(`SeaweedFS is not built: ${weedBinary} is missing. Run 'scripts/object-store build' (once per machine, about 7 minutes), then run this test again.`);
  }
  const directory = await mkdtemp(path.join(os.tmpdir(), 'mlops-object-store-'));
  const accessKeyId = `test-${randomBytes(4).toString('hex')}`;
  const secretAccessKey = randomBytes(20).toString('hex');
  await mkdir(path.join(directory, 'data'));
  const identities = path.join(directory, 's3-identities.json');
  await writeFile(identities, JSON.stringify({ identities: [{ name: 'tests', credentials: [{ accessKey: accessKeyId, secretKey: secretAccessKey }], actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'] }] }));
  const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc] = await freePorts(8);
  const log = path.join(directory, 'weed.log');
  const logStream = createWriteStream(log);
  // Same flags as scripts/object-store start, with every port explicit (gRPC defaults to
  // port + 10000, which can collide or exceed 65535 for a free ephemeral port).
  const server = spawn(weedBinary, [
    'server', `-dir=${path.join(directory, 'data')}`, '-ip=127.0.0.1', '-ip.bind=127.0.0.1',
    `-master.port=${master}`, `-master.port.grpc=${masterGrpc}`, '-master.telemetry=false', '-master.volumeSizeLimitMB=1024',
    `-volume.port=${volume}`, `-volume.port.grpc=${volumeGrpc}`, '-volume.max=100', '-volume.preStopSeconds=0',
    `-filer.port=${filer}`, `-filer.port.grpc=${filerGrpc}`,
    '-s3', `-s3.port=${s3}`, `-s3.port.grpc=${s3Grpc}`, `-s3.config=${identities}`, '-s3.autoCreateBucket=false',
    '-s3.port.iceberg=0', '-s3.port.lance=0',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout?.pipe(logStream);
  server.stderr?.pipe(logStream);
  const endpoint = `http://127.0.0.1:${s3}`;
  const client = new S3Client({
    endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const stop = async () => {
    client.destroy();
    await stopProcess(server);
    logStream.end();
    await rm(directory, { recursive: true, force: true });
  };
  try {
    await waitUntilWritable(server, client, bucket, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, bucket, accessKeyId, secretAccessKey, client, directory, stop };
}

/** The bucket exists and takes a write: S3 answers before the filer and volumes are ready. */
async function waitUntilWritable(server: ChildProcess, client: S3Client, bucket: string, log: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`weed exited with ${server.exitCode}; log:\n${await tail(log)}`);
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: { name?: string }) => {
        if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
      });
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'readiness-probe', Body: 'ok' }));
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'readiness-probe' }));
      return;
    } catch (error) {
      lastError = error;
      await sleep(250);
    }
  }
  throw new Error(`SeaweedFS did not accept writes within 60 s (last error: ${String(lastError)}); log:\n${await tail(log)}`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  if (!(await Promise.race([exited.then(() => true), sleep(3_000).then(() => false)]))) {
    child.kill('SIGKILL');
    await exited;
  }
}

async function tail(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-30).join('\n');
}

/** Distinct free ports: every listener stays open until all are chosen. */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      servers.push(await new Promise<Server>((resolve, reject) => {
        const listener = createServer();
        listener.on('error', reject);
        listener.listen(0, '127.0.0.1', () => resolve(listener));
      }));
    }
    return servers.map((listener) => (listener.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((listener) => new Promise((resolve) => listener.close(resolve))));
  }
}
