import { describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { driftReportRoutes } from '../../../src/triggers/drift-report-routes.js';

async function app() {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'reports-'));
  const dir = path.join(dataDir, 'reports', 'drift', 'fraud', '20261127T0200Z');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'report.html'), '<html>drift</html>');
  await writeFile(path.join(dir, 'report.json'), '{"datasetDrift":true}');
  await writeFile(path.join(dataDir, 'secret.txt'), 'nope');
  const server = Fastify();
  await server.register(driftReportRoutes(dataDir));
  return server;
}

describe('drift report routes', () => {
  it('lists a model’s windows and serves each report as HTML and JSON', async () => {
    const server = await app();
    const list = await server.inject({ url: '/reports/drift/fraud' });
    expect(list.json()).toEqual({ model: 'fraud', windows: [{ window: '20261127T0200Z', html: '/reports/drift/fraud/20261127T0200Z/report.html', json: '/reports/drift/fraud/20261127T0200Z/report.json' }] });
    const html = await server.inject({ url: '/reports/drift/fraud/20261127T0200Z/report.html' });
    expect(html.headers['content-type']).toMatch(/text\/html/);
    expect(html.body).toBe('<html>drift</html>');
    expect((await server.inject({ url: '/reports/drift/fraud/20261127T0200Z/report.json' })).json()).toEqual({ datasetDrift: true });
  });

  it('answers 404 for unknown models, windows and files, and never leaves the reports folder', async () => {
    const server = await app();
    expect((await server.inject({ url: '/reports/drift/other' })).statusCode).toBe(404);
    expect((await server.inject({ url: '/reports/drift/fraud/nope/report.html' })).statusCode).toBe(404);
    expect((await server.inject({ url: '/reports/drift/fraud/20261127T0200Z/reference-profile.json' })).statusCode).toBe(404);
    expect((await server.inject({ url: '/reports/drift/fraud/..%2F..%2F..%2Fsecret.txt/report.html' })).statusCode).toBe(404);
    expect((await server.inject({ url: '/reports/drift/..%2F..%2Fsecret.txt' })).statusCode).toBe(400);
  });
});
