/**
 * Fuzzing the new-data webhook: ≥ 10,000 deliveries (fixed seed) through the API's routes in
 * process (fastify inject): damaged, odd and huge bodies; missing, duplicated, mis-cased, empty,
 * very long headers and odd content types; wrong, truncated, stale and misplaced signatures;
 * replays of earlier deliveries; mixed with valid ones (test/support/webhook-fuzz-cases.ts).
 *
 * Temporal is replaced by a recording stand-in that only counts which workflows would start
 * (and answers "already started" for a workflow id it saw, as REJECT_DUPLICATE does), and the
 * download-and-hash of an S3 event's object by a hash of its name and version (the buckets here
 * exist nowhere): what is judged here is the HTTP layer's decision to start or not; the real
 * start against a dev server is test/integration/webhook-server.test.ts, and the real download
 * from SeaweedFS test/integration/webhook-object-events.test.ts.
 *
 * Invariants for every delivery: never a 5xx; a 2xx only with a valid signature over exactly
 * those bytes in tolerance and a parseable event (202 when it routes to a configured pipeline);
 * nothing started without a valid signature; a replayed delivery id never starts a workflow;
 * every 4xx is JSON naming the problem in under 2 KiB.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/data/seeded-random.js';
import type { ApiServerSettings } from '../../../src/triggers/api-config.js';
import { buildWebhookApp } from '../../../src/triggers/webhook-server.js';
import { BODY_LIMIT, GH_SECRET, SW_SECRET, TOLERANCE_SECONDS, below, fuzzBody, fuzzHeaders, sameIdDelivery, type FuzzBody, type FuzzHeaders } from '../../support/webhook-fuzz-cases.js';

/** bench/fuzz.ts raises it; never below the 10,000 this suite promises. */
const CASES = Math.max(10_000, Number(process.env.MLOPS_FUZZ_CASES ?? 0));
const SEED = 0x5eb400c;
const MODELS = ['fraud', 'churn'];

interface Start {
  workflowId: string;
  duplicate: boolean;
}

/** The only part of Client the routes use: workflow.start. */
function recordingClient(starts: Start[]): Client {
  const started = new Set<string>();
  const workflow = {
    async start(type: string, options: { workflowId: string }) {
      const duplicate = started.has(options.workflowId);
      starts.push({ workflowId: options.workflowId, duplicate });
      if (duplicate) throw new WorkflowExecutionAlreadyStartedError('Workflow execution already started', options.workflowId, type);
      started.add(options.workflowId);
      return { workflowId: options.workflowId };
    },
  };
  return { workflow } as unknown as Client;
}

interface Sent {
  body: FuzzBody;
  headers: FuzzHeaders;
  status: number;
}

/** As a server sees it: names in any case, repeated values joined. */
function headerValue(headers: Record<string, string | string[]>, name: string): string | undefined {
  const found = Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  return Array.isArray(found) ? found.join(', ') : found;
}

/** What a replay is recognised by: webhook-id, else X-GitHub-Delivery. */
function deliveryId(headers: Record<string, string | string[]>): string | undefined {
  const standard = headerValue(headers, 'webhook-id');
  if (standard) return standard;
  const github = headerValue(headers, 'x-github-delivery');
  return github ? `github:${github}` : undefined;
}

describe(`${CASES} fuzzed new-data webhook deliveries`, () => {
  let dir: string;
  let app: FastifyInstance;
  const starts: Start[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mlops-webhook-fuzz-'));
    await writeFile(path.join(dir, 'data.csv'), 'x,y\n1,0\n2,1\n');
    // Each reads GCS objects through the XML API (storage.endpoint), so GCS events route too.
    const storage = { url: 's3://landing-eu/mlops', endpoint: 'https://storage.googleapis.com' };
    const pipeline = (model: string, objects: ApiServerSettings['pipelines'][number]['objects']) => ({ file: path.join(dir, `${model}.yaml`), model, dataSource: path.join(dir, 'data.csv'), storage, objects });
    const settings: ApiServerSettings = {
      host: '127.0.0.1',
      port: 0,
      bodyLimitBytes: BODY_LIMIT,
      toleranceSeconds: TOLERANCE_SECONDS,
      maxReplayIds: 100_000,
      secrets: { standardWebhooks: SW_SECRET, github: GH_SECRET },
      pipelines: [
        pipeline('fraud', [{ store: 's3', bucket: 'landing', prefix: 'fraud/' }, { store: 'gcs', bucket: 'landing-eu', prefix: 'fraud/' }]),
        pipeline('churn', [{ bucket: 'shared', prefix: '' }]),
      ],
    };
    const hashObject = async (_pipeline: unknown, object: { bucket: string; key: string; versionId?: string; generation?: string }) => createHash('sha256').update(JSON.stringify([object.bucket, object.key, object.versionId ?? null, object.generation ?? null])).digest('hex');
    app = await buildWebhookApp({ settings, client: recordingClient(starts), taskQueue: 'fuzz', log: () => undefined, dataDir: path.join(dir, 'data'), hashObject });
  });

  afterAll(async () => {
    await app?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('never a 5xx, nothing started without a valid signature or by a replay, every refusal a short JSON error', async () => {
    const random = mulberry32(SEED);
    const sent: Sent[] = [];
    const usedIds = new Set<string>();
    const byStatus: Record<number, number> = {};
    let accepted = 0;
    let refused = 0;

    for (let n = 0; n < CASES; n++) {
      // Replays resend an earlier delivery byte for byte, headers included, or sign a new body under its id.
      const replayOf = sent.length > 0 && random() < 0.06 ? sent[sent.length - 1 - below(random, Math.min(sent.length, 300))] : undefined;
      const now = Math.floor(Date.now() / 1000);
      const reused = replayOf?.headers.id !== undefined && replayOf.headers.signed === 'yes' && random() < 0.3 ? sameIdDelivery(random, n, replayOf.headers.id, now) : undefined;
      const body = reused?.body ?? replayOf?.body ?? fuzzBody(random, n);
      const headers = reused?.headers ?? replayOf?.headers ?? fuzzHeaders(random, n, body.bytes, now);
      const before = starts.length;
      const response = await app.inject({ method: 'POST', url: '/hooks/new-data', headers: headers.headers, payload: body.bytes });
      const mine = starts.slice(before);
      const { statusCode: status } = response;
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      const label = `case ${n}${replayOf ? ' (replay)' : ''}: body ${body.what} (${body.expect}), headers ${headers.what} (signed: ${headers.signed}), content-type ${JSON.stringify(headerValue(headers.headers, 'content-type') ?? null).slice(0, 60)} → ${status} ${response.body.slice(0, 300)}`;

      expect(status, label).toBeLessThan(500);
      if (status < 300) accepted++;
      else refused++;

      if (status >= 400) {
        expect(Buffer.byteLength(response.body), `${label}: a refusal of ${response.body.length} characters`).toBeLessThan(2048);
        const error = (JSON.parse(response.body) as { error?: unknown }).error;
        expect(typeof error === 'string' && error.length > 0, `${label}: no error message`).toBe(true);
      }
      if (headers.signed === 'no') {
        expect(status, label).toBeGreaterThanOrEqual(400);
        expect(mine, `${label}: started without a valid signature`).toEqual([]);
      }
      if (body.expect === 'invalid' || body.expect === 'huge') {
        expect(status, label).toBeGreaterThanOrEqual(400);
        expect(mine, label).toEqual([]);
      }
      // fastify may refuse an odd content type (415) before it reads the body.
      if (body.expect === 'huge' && headers.wellFormedContentType) expect(status, label).toBe(413);

      // An id counts as used once a delivery under it was accepted; a refused one may be retried.
      const id = deliveryId(headers.headers);
      if (id !== undefined && usedIds.has(id)) {
        expect(status, label).toBeGreaterThanOrEqual(400);
        expect(mine, `${label}: a replayed delivery id reached Temporal`).toEqual([]);
      } else if (!(replayOf && replayOf.status < 300)) {
        expect(status, `${label}: an unused delivery id was taken for a replay`).not.toBe(409);
        const mustAnswer = headers.signed === 'yes' && headers.wellFormedContentType;
        if (mustAnswer && body.expect === 'routed') expect(status, `${label}: a valid delivery was refused`).toBe(202);
        if (mustAnswer && body.expect === 'ignored') expect(status, label).toBe(200);
        if (mustAnswer && body.expect === 'invalid') expect([400, 404], label).toContain(status);
      }
      if (replayOf && replayOf.status < 300) expect(mine.filter((s) => !s.duplicate), `${label}: a replay started a new workflow`).toEqual([]);
      if (id !== undefined && status < 300) usedIds.add(id);

      if (status >= 200 && status < 300) {
        const answer = JSON.parse(response.body) as { runs: Array<{ model: string; workflowId: string }> };
        if (status === 202) {
          expect(answer.runs.length, label).toBeGreaterThan(0);
          for (const run of answer.runs) {
            expect(MODELS, label).toContain(run.model);
            expect(mine.map((s) => s.workflowId), label).toContain(run.workflowId);
          }
        } else {
          expect(status, label).toBe(200);
          expect(answer.runs, label).toEqual([]);
          expect(mine, label).toEqual([]);
        }
      } else {
        // Every check comes before the start; only a failed start (503) could refuse after one, and this client never fails.
        expect(mine, `${label}: refused but a start was attempted`).toEqual([]);
      }

      sent.push({ body, headers, status });
    }

    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    console.log(`webhook fuzz: ${accepted + refused} deliveries, ${accepted} accepted, ${refused} refused (by status: ${Object.entries(byStatus).map(([code, count]) => `${code}: ${count}`).join(', ')})`);
    expect(accepted + refused).toBeGreaterThanOrEqual(10_000);
    // The mix reached every answer the route has.
    for (const status of [200, 202, 400, 401, 404, 409, 413]) expect(byStatus[status], `no ${status} in ${JSON.stringify(byStatus)}`).toBeGreaterThan(0);
  });
});
