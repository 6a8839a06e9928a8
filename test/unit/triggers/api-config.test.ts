import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readApiConfigFile, resolveApiConfig } from '../../../src/triggers/api-config.js';

describe('API server config', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mlops-api-config-'));
    await writeFile(path.join(dir, 'p.yaml'), stringify({ model: 'fraud', data: { source: 'data/f.csv', target: 'y' } }));
    await writeFile(path.join(dir, 'api.yaml'), stringify({ port: 9000, pipelines: [{ file: 'p.yaml', objects: [{ store: 's3', bucket: 'landing' }] }] }));
  });

  it('reads a YAML file, fills defaults, resolves paths against it and reads the secret', async () => {
    const { baseDir, ...input } = await readApiConfigFile(path.join(dir, 'api.yaml'));
    const settings = await resolveApiConfig(input, { baseDir, env: { MLOPS_WEBHOOK_SECRET: 's' } });
    expect(settings).toEqual({
      host: '127.0.0.1',
      port: 9000,
      bodyLimitBytes: 1_048_576,
      toleranceSeconds: 300,
      maxReplayIds: 100_000,
      secrets: { standardWebhooks: 's', github: undefined },
      pipelines: [{ file: path.join(dir, 'p.yaml'), model: 'fraud', dataSource: path.join(dir, 'data/f.csv'), objects: [{ store: 's3', bucket: 'landing', prefix: '' }] }],
    });
  });

  it('refuses a GCS route on a pipeline that cannot read GCS objects (no storage.endpoint), naming the route', async () => {
    await expect(resolveApiConfig({ pipelines: [{ file: 'p.yaml', objects: [{ store: 's3', bucket: 'landing' }, { store: 'gcs', bucket: 'landing-eu' }] }] }, { baseDir: dir, env: { MLOPS_WEBHOOK_SECRET: 's' } })).rejects.toThrow(
      "API config: pipelines[0].objects[1]: a GCS event trains on the object it names, read through GCS's S3-compatible XML API; p.yaml needs storage.endpoint (https://storage.googleapis.com, with an HMAC key in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)",
    );
  });

  it('refuses to start without a secret', async () => {
    await expect(resolveApiConfig({ pipelines: [{ file: 'p.yaml' }] }, { baseDir: dir, env: {} })).rejects.toThrow(
      'API config: environment variable MLOPS_WEBHOOK_SECRET (signatures.standardWebhooks.secretEnv) is not set; refusing to accept unsigned webhooks',
    );
    await expect(resolveApiConfig({ signatures: {}, pipelines: [{ file: 'p.yaml' }] }, { baseDir: dir, env: {} })).rejects.toThrow('configure signatures.standardWebhooks or signatures.github');
  });

  it('lists every problem with its path', async () => {
    await expect(resolveApiConfig({ port: 'x', pipelines: [{ path: 'p.yaml' }], extra: 1 }, { baseDir: dir, env: {} })).rejects.toThrow(
      ['API config: invalid (4 problems)', '  - port: Invalid input: expected number, received string', '  - pipelines[0].file: Invalid input: expected string, received undefined', '  - pipelines[0]: unknown field(s) path', '  - (root): unknown field(s) extra'].join('\n'),
    );
  });

  it('refuses two pipelines of one model', async () => {
    await expect(resolveApiConfig({ pipelines: [{ file: 'p.yaml' }, { file: 'p.yaml' }] }, { baseDir: dir, env: { MLOPS_WEBHOOK_SECRET: 's' } })).rejects.toThrow(/pipelines\[1\]\.file: model fraud is already served by/);
  });
});
