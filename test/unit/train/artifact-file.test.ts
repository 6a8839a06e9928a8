import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINEAR_MODEL_FORMAT, type LinearModelArtifact } from '../../../src/train/artifact.js';
import { ArtifactError, readArtifact, writeArtifact } from '../../../src/train/artifact-file.js';

const artifact: LinearModelArtifact = {
  format: LINEAR_MODEL_FORMAT,
  model: 'churn',
  algorithm: 'logistic_regression',
  target: 'churned',
  features: [
    { name: 'tenure', kind: 'numeric', mean: 12.5, std: 3.25 },
    { name: 'plan', kind: 'categorical', categories: ['basic', 'pro'] },
  ],
  intercept: -0.125,
  weights: [0.1 + 0.2, -1e-300, 42],
  params: { l2: 1, maxIterations: 200, tolerance: 1e-6, minCategoryCount: 1 },
  training: { rows: 100, positives: 40, iterations: 12, converged: true, finalLoss: 55.5, seconds: 0.01, seed: 42 },
  createdAt: '2024-06-01T12:00:00.000Z',
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'artifact-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function errorOf(promise: Promise<unknown>): Promise<ArtifactError> {
  const error = await promise.then(() => undefined, (err: unknown) => err);
  expect(error).toBeInstanceOf(ArtifactError);
  return error as ArtifactError;
}

describe('writeArtifact / readArtifact', () => {
  it('round-trips the artifact exactly and reports the file hash and size', async () => {
    const written = await writeArtifact(artifact, path.join(dir, 'roundtrip'));
    const bytes = await readFile(written.path);
    expect(written.path).toBe(path.join(dir, 'roundtrip', 'model.json'));
    expect(written.sizeBytes).toBe(bytes.length);
    expect(written.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const read = await readArtifact(written.path, written.sha256);
    expect(read.artifact).toEqual(artifact);
    expect(read).toMatchObject({ path: written.path, sha256: written.sha256, sizeBytes: written.sizeBytes });
    expect(await readdir(path.dirname(written.path))).toEqual(['model.json']); // no temporary file left
  });

  it('writes the same bytes whatever the key order of the object', async () => {
    const shuffled = Object.fromEntries(Object.entries(artifact).reverse()) as unknown as LinearModelArtifact;
    const a = await writeArtifact(artifact, path.join(dir, 'order-a'));
    const b = await writeArtifact(shuffled, path.join(dir, 'order-b'));
    expect(b.sha256).toBe(a.sha256);
  });

  it('detects a file changed after it was written', async () => {
    const written = await writeArtifact(artifact, path.join(dir, 'tamper'));
    const text = await readFile(written.path, 'utf8');
    await writeFile(written.path, text.replace('"intercept": -0.125', '"intercept": 5'));
    const error = await errorOf(readArtifact(written.path, written.sha256));
    expect(error.path).toBe(written.path);
    expect(error.message).toContain(written.path);
    expect(error.message).toMatch(/sha256 is [0-9a-f]{64} but [0-9a-f]{64} was expected/);
    // Without an expected hash the (still well-formed) file reads, with its new hash.
    const read = await readArtifact(written.path);
    expect(read.artifact.intercept).toBe(5);
    expect(read.sha256).not.toBe(written.sha256);
  });

  it('rejects another format, naming the file and the format found', async () => {
    const file = path.join(dir, 'other-format.json');
    await writeFile(file, JSON.stringify({ ...artifact, format: 'sklearn-pickle/v0' }));
    const error = await errorOf(readArtifact(file));
    expect(error.message).toBe(`model artifact ${file}: format is "sklearn-pickle/v0", expected "${LINEAR_MODEL_FORMAT}"`);
  });

  it('rejects a file without a format, invalid JSON, a missing file and a malformed model', async () => {
    const noFormat = path.join(dir, 'no-format.json');
    await writeFile(noFormat, JSON.stringify({ weights: [] }));
    expect((await errorOf(readArtifact(noFormat))).problem).toBe(`format is missing, expected "${LINEAR_MODEL_FORMAT}"`);

    const broken = path.join(dir, 'broken.json');
    await writeFile(broken, '{"format": ');
    expect((await errorOf(readArtifact(broken))).problem).toMatch(/^not valid JSON/);

    expect((await errorOf(readArtifact(path.join(dir, 'absent.json')))).problem).toBe('file not found');

    const wrongWidth = path.join(dir, 'wrong-width.json');
    await writeFile(wrongWidth, JSON.stringify({ ...artifact, weights: [1, 2] }));
    expect((await errorOf(readArtifact(wrongWidth))).problem).toMatch(/weights: expected 3 weights .*got 2/);

    const badStd = path.join(dir, 'bad-std.json');
    await writeFile(badStd, JSON.stringify({ ...artifact, features: [{ ...artifact.features[0], std: 0 }, artifact.features[1]] }));
    expect((await errorOf(readArtifact(badStd))).problem).toMatch(/features\[0\]\.std: expected std > 0/);
  });

  it('refuses to write a model with non-finite weights', async () => {
    const error = await errorOf(writeArtifact({ ...artifact, weights: [1, Number.NaN, 3] }, path.join(dir, 'nan')));
    expect(error.problem).toMatch(/weights\[1\]/);
  });
});
