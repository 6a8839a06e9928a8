/**
 * The model page (GET /models/<model> on `mlops api`) as an operator sees it in Chromium, on the
 * dev server with a real gateway, model servers and traffic: during a running canary it shows the
 * charts with a dot per check (at least two) and the phase; after the canary is aborted and rolls
 * back, the outcome and the reason. Screenshots go to .data/screenshots/ (docs/screenshots/ with
 * MLOPS_UPDATE_SCREENSHOTS=1, which is how the committed ones were made).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { createWorkflowTestEnvironment, type WorkflowTestEnvironment } from '../support/workflow-environment.js';
import { startServingStack, type ServingStack } from '../support/serving-stack.js';
import { fraudDefinition, makeDataset, writeDefinition } from '../support/pipeline-fixtures.js';
import { chromiumAvailable, launchChromium } from '../support/browser-web-ui.js';
import { modelPageRoutes } from '../../src/triggers/model-page-routes.js';
import { abortSignal, canaryStatusQuery } from '../../src/temporal/contract.js';
import type { CanaryStatus } from '../../src/temporal/canary-status.js';
import type { PipelineResult } from '../../workflows/pipeline-status.js';
import type { ModelPageData } from '../../src/model-page/model-page-data.js';

const root = path.resolve(import.meta.dirname, '../..');
const SCREENSHOTS = path.join(root, process.env.MLOPS_UPDATE_SCREENSHOTS ? 'docs/screenshots' : '.data/screenshots');

let env: WorkflowTestEnvironment;
let stack: ServingStack;
let dataDir: string;
let api: FastifyInstance;
let apiUrl: string;
let browser: Browser | undefined;
const stops: Array<() => Promise<unknown>> = [];
const model = `page-${randomUUID().slice(0, 6)}`;
let file: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlops-model-page-'));
  stack = await startServingStack(dataDir);
  env = await createWorkflowTestEnvironment({ dataDir });
  file = await definitionFor(61);
  api = Fastify();
  await api.register(modelPageRoutes({ client: env.client, dataDir, pipelines: [{ model, file }], webUiLink: (id) => `http://127.0.0.1:8233/workflows/${encodeURIComponent(id)}` }));
  apiUrl = await api.listen({ host: '127.0.0.1', port: 0 });
  if (chromiumAvailable()) browser = await launchChromium();
});
afterAll(async () => {
  for (const stop of stops) await stop();
  await browser?.close();
  await api?.close();
  await env?.close();
  await stack?.close();
});

/** The definition on a new day's data: same model, same canary. */
async function definitionFor(seed: number): Promise<string> {
  const data = await makeDataset(dataDir, `${model}-${seed}.csv`, { seed });
  return writeDefinition(dataDir, {
    ...fraudDefinition(data, { model }),
    deploy: {
      gateway: { url: stack.gateway.url },
      canary: {
        steps: [{ weight: 30 }, { weight: 60 }], slaWindow: '60s', interval: '1s', metricsWindow: '1s', minChecksWithEvidence: 1,
        sla: { errorRate: { max: 0.05 }, latencyP99Ms: { max: 500 }, minSamples: 5 }, errorRateTest: { enabled: false },
      },
    },
  }, `${model}-${seed}.yaml`);
}

async function startPipeline(seed: number) {
  return env.client.workflow.start('modelPipeline', { taskQueue: env.settings.taskQueue, workflowId: `pipeline/${model}/${randomUUID()}`, args: [{ pipelineFile: await definitionFor(seed) }] });
}

async function screenshot(name: string): Promise<{ text: string; dots: number; status: string }> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  try {
    await page.goto(`${apiUrl}/models/${model}`);
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, name), fullPage: true });
    return { text: await page.locator('main').innerText(), dots: await page.locator('svg.chart circle.canary-dot').count(), status: await page.locator('.status').first().innerText() };
  } finally {
    await page.close();
  }
}

describe('the model page', () => {
  it('shows a running canary with its checks, then the rollback with its reason', async () => {
    const first = (await env.run(async () => (await startPipeline(62)).result())) as PipelineResult;
    expect(first.outcome).toBe('promoted');
    stops.push(stack.startTraffic(model, 80));

    const second = await startPipeline(63);
    const canary = env.client.workflow.getHandle(`canary/${model}/2`);
    const deadline = Date.now() + 60_000;
    let status: CanaryStatus | undefined;
    while (Date.now() < deadline) {
      status = (await canary.query(canaryStatusQuery).catch(() => undefined)) as CanaryStatus | undefined;
      if (status && status.analysis.checks.filter((check) => check.numbers.errorRate !== null).length >= 3) break;
      await sleep(300);
    }
    expect(status?.analysis.checks.length).toBeGreaterThanOrEqual(3);

    // The JSON: what the page is drawn from.
    const data = (await (await fetch(`${apiUrl}/models/${model}.json`)).json()) as ModelPageData;
    expect(data.canaries[0]).toMatchObject({ workflowId: `canary/${model}/2`, running: true, status: { canaryVersion: 2, championVersion: 1 } });
    expect(data.versions.map((version) => version.version)).toEqual([2, 1]);
    const html = await (await fetch(`${apiUrl}/models/${model}`)).text();
    expect(html).toContain('<meta http-equiv="refresh" content="3">');
    expect(html).not.toMatch(/<script/i);

    if (browser) {
      const running = await screenshot('model-page-canary-running.png');
      expect(running.dots).toBeGreaterThanOrEqual(4); // two charts, at least two checks each
      expect(running.status).toMatch(/^analysing\s+step 1, 30% of traffic/);
      expect(running.text).toContain(`Latest canary: v2 against champion v1`);
    }

    await canary.signal(abortSignal, { by: 'oncall', reason: 'dashboards show checkout errors <b>' });
    const result = (await env.run(() => second.result())) as PipelineResult;
    expect(result.outcome).toBe('rolled-back');

    const after = (await (await fetch(`${apiUrl}/models/${model}.json`)).json()) as ModelPageData;
    expect(after.canaries[0]).toMatchObject({ running: false, outcome: { result: 'rolled-back', reason: expect.stringContaining('dashboards show checkout errors <b>') } });
    const afterHtml = await (await fetch(`${apiUrl}/models/${model}`)).text();
    expect(afterHtml).not.toContain('http-equiv="refresh"');
    expect(afterHtml).toContain('dashboards show checkout errors &lt;b&gt;');
    if (browser) {
      const rolledBack = await screenshot('model-page-rolled-back.png');
      expect(rolledBack.status).toMatch(/^Rolled back\s+.*oncall.*dashboards show checkout errors <b>/s);
    }
    expect((await fetch(`${apiUrl}/models/not-served`)).status).toBe(404);
  });
});
