import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedRegistry } from '../../../src/registry/embedded-registry.js';
import { makeTempDir, writeArtifact } from '../../support/registry-fixtures.js';

const WRITER_SCRIPT = fileURLToPath(new URL('../../support/registry-concurrent-writer.ts', import.meta.url));
const WRITERS = 4;
const REGISTRATIONS_EACH = 10;

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await makeTempDir('registry-concurrency-')));
afterEach(() => cleanup());

interface Writer {
  ready: Promise<void>;
  done: Promise<{ writer: string; versions: number[] }>;
}

function startWriter(args: string[]): Writer {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER_SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('ready\n')) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ writer: string; versions: number[] }>((resolve, reject) => {
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`writer ${args[1]} exited with ${code}: ${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as { writer: string; versions: number[] });
    });
  });
  // A writer that dies before `ready` must fail the test rather than hang it.
  done.catch(() => markReady());
  return { ready, done };
}

describe('embedded registry with several processes', () => {
  it('numbers versions 1..N without gaps or duplicates when processes register at once', async () => {
    const registryDir = path.join(dir, 'registry');
    const artifact = await writeArtifact(dir, '{"shared":true}');
    const goFile = path.join(dir, 'go');

    const writers = Array.from({ length: WRITERS }, (_, index) =>
      startWriter([registryDir, `w${index}`, String(REGISTRATIONS_EACH), artifact, goFile]),
    );
    await Promise.all(writers.map((writer) => writer.ready));
    writeFileSync(goFile, '');
    const results = await Promise.all(writers.map((writer) => writer.done));

    const total = WRITERS * REGISTRATIONS_EACH;
    const expected = Array.from({ length: total }, (_, index) => index + 1);
    const handedOut = results.flatMap((result) => result.versions).sort((a, b) => a - b);
    expect(handedOut).toEqual(expected);
    for (const result of results) {
      // Each writer's own versions increase: later registrations never get older numbers.
      expect(result.versions).toEqual([...result.versions].sort((a, b) => a - b));
    }

    const registry = await EmbeddedRegistry.open(registryDir);
    try {
      const versions = await registry.listVersions('churn');
      expect(versions.map((version) => version.version)).toEqual(expected);
      expect(new Set(versions.map((version) => version.idempotencyKey)).size).toBe(total);
      expect(new Set(versions.map((version) => version.artifactSha256)).size).toBe(1);
      expect(new Set((await registry.listEvents('churn')).map((event) => event.actor))).toEqual(new Set(['w0', 'w1', 'w2', 'w3'].map((w) => `writer-${w}`)));
    } finally {
      await registry.close();
    }
  });
});
