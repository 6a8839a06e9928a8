/**
 * End to end through the real Temporal Web UI in headless Chromium: a person starts
 * `modelPipeline` from the UI's Start Workflow form, watches the run register the example fraud
 * model, finds it again by our search attributes, and sees a readable error for a typo in the input.
 * Screenshots of the key moments go to .data/screenshots/ (docs/screenshots/ with
 * MLOPS_UPDATE_SCREENSHOTS=1, which is how the committed ones were made).
 */
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Browser } from 'playwright-core';
import { createWorkflowTestEnvironment, type WorkflowTestEnvironment } from '../support/workflow-environment.js';
import { CHROMIUM_PATH, TemporalWebUi, chromiumAvailable, launchChromium } from '../support/browser-web-ui.js';
import { MODEL, MODEL_VERSION, OUTCOME, TRIGGER } from '../../workflows/search-attributes.js';
import type { PipelineResult } from '../../workflows/pipeline-status.js';

const root = path.resolve(import.meta.dirname, '../..');
const PIPELINE_FILE = 'examples/fraud/pipeline.yaml';
const DATA_FILE = path.join(root, 'examples/fraud/data/transactions.parquet');
const SCREENSHOTS = path.join(root, process.env.MLOPS_UPDATE_SCREENSHOTS ? 'docs/screenshots' : '.data/screenshots');

const haveChromium = chromiumAvailable();
if (!haveChromium) {
  console.warn(
    `\n${'!'.repeat(78)}\n!! SKIPPING test/e2e/web-ui.test.ts: no Chromium at ${CHROMIUM_PATH}.\n` +
      `!! The Temporal Web UI end-to-end test did NOT run. Install it with: apt-get install chromium\n${'!'.repeat(78)}\n`,
  );
}

/** The demo's dataset (same generator, seed and row count as scripts/demo), made once if missing. */
async function ensureExampleData(): Promise<void> {
  if (existsSync(DATA_FILE)) return;
  // Write beside the target and rename, so a concurrent reader never sees half a file.
  const partial = path.join(path.dirname(DATA_FILE), `.transactions-${process.pid}-${randomUUID().slice(0, 8)}.parquet`);
  try {
    await promisify(execFile)(path.join(root, 'bin/mlops'), ['generate-data', '--rows', '50000', '--seed', '7', '--out', partial], { cwd: root });
    if (!existsSync(DATA_FILE)) await rename(partial, DATA_FILE);
  } finally {
    await rm(partial, { force: true });
  }
}

describe.skipIf(!haveChromium)('Temporal Web UI: start modelPipeline by hand', () => {
  let browser: Browser;
  let ui: TemporalWebUi;

  beforeAll(async () => {
    await ensureExampleData();
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.setDefaultTimeout(15_000);
    ui = new TemporalWebUi(page, inject('temporalUiUrl'), SCREENSHOTS);
  });
  afterAll(async () => {
    await browser?.close();
  });

  function keepScreenshotOnFailure(name: string): void {
    onTestFailed(async () => {
      const file = path.join(os.tmpdir(), `web-ui-failure-${name}-${Date.now()}.png`);
      await ui.page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
      console.error(`web-ui test failed; the page at ${ui.page.url()} is in ${file}`);
    });
  }

  /**
   * Runs `fn` with a fresh worker (own task queue and data directory) up and polling, so the form
   * reports the task queue as active. A fresh environment per test: a worker runs only once.
   */
  async function withWorker<T>(fn: (env: WorkflowTestEnvironment) => Promise<T>): Promise<T> {
    const env = await createWorkflowTestEnvironment();
    try {
      return await env.run(async () => {
        const deadline = Date.now() + 10_000;
        for (;;) {
          const { pollers } = await env.client.workflowService.describeTaskQueue({
            namespace: env.settings.namespace,
            taskQueue: { name: env.settings.taskQueue },
          });
          if (pollers?.length) break;
          if (Date.now() > deadline) throw new Error(`no worker polls ${env.settings.taskQueue}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return fn(env);
      });
    } finally {
      await env.close();
    }
  }

  it('starts a run from the Start Workflow form; it registers the model and is findable by our search attributes', async () => {
    keepScreenshotOnFailure('registered');
    const workflowId = `web-ui-e2e-${randomUUID()}`;
    const input = `{ "pipelineFile": "${PIPELINE_FILE}" }`;

    await withWorker(async (env) => {
      await ui.fillStartWorkflowForm({ workflowId, taskQueue: env.settings.taskQueue, workflowType: 'modelPipeline', input });
      expect(JSON.parse(await ui.inputEditor.innerText())).toEqual({ pipelineFile: PIPELINE_FILE });
      const { runId } = await ui.submitStartWorkflow(workflowId);
      await ui.screenshot('web-ui-start-workflow.png');

      // The toast links to the new run's page.
      await ui.startedToast.click();
      await ui.page.getByRole('heading', { level: 1, name: workflowId }).waitFor();
      expect(ui.page.url()).toContain(runId);

      const handle = env.client.workflow.getHandle(workflowId, runId);
      const result = (await handle.result()) as PipelineResult;
      expect(result.outcome).toBe('registered');
      expect(result.model).toBe('fraud-detector');
      expect(result.version).toBe(1);

      const described = await handle.describe();
      expect(described.status.name).toBe('COMPLETED');
      expect(described.typedSearchAttributes.get(MODEL)).toBe('fraud-detector');
      expect(described.typedSearchAttributes.get(OUTCOME)).toBe('registered');
      expect(described.typedSearchAttributes.get(MODEL_VERSION)).toBe(1);
      expect(described.typedSearchAttributes.get(TRIGGER)).toBe('ui');

      // The run's page: Completed, and the result says registered.
      await ui.openRun(workflowId, runId);
      await ui.runStatus('Completed').waitFor();
      const resultPanel = ui.main.getByRole('textbox').filter({ hasText: '"outcome"' });
      await resultPanel.waitFor();
      expect(await resultPanel.innerText()).toMatch(/"outcome":\s*"registered"/);
      await ui.screenshot('web-ui-run-registered.png');

      // Its Search Attributes tab shows our attributes with their values.
      const attributes = await ui.searchAttributesText();
      expect(attributes).toMatch(/"Model":\s*"fraud-detector"/);
      expect(attributes).toMatch(/"Outcome":\s*"registered"/);
      expect(attributes).toMatch(/"ModelVersion":\s*1\b/);
      expect(attributes).toMatch(/"TriggeredBy":\s*"ui"/);
      await ui.screenshot('web-ui-search-attributes.png');

      // The workflow list finds it by a visibility query typed into the query box.
      const query = 'Model="fraud-detector" AND Outcome="registered"';
      const row = await ui.findInList(query, workflowId);
      expect(await row.innerText()).toMatch(/Completed/);
      expect(decodeURIComponent(new URL(ui.page.url()).searchParams.get('query') ?? '')).toBe(query);
      await ui.screenshot('web-ui-find-by-model.png');
    });
  }, 90_000);

  it('fails a run with a misspelled input field at once, with a readable message in the UI', async () => {
    keepScreenshotOnFailure('bad-input');
    const workflowId = `web-ui-e2e-typo-${randomUUID()}`;

    await withWorker(async (env) => {
      await ui.fillStartWorkflowForm({
        workflowId,
        taskQueue: env.settings.taskQueue,
        workflowType: 'modelPipeline',
        input: `{ "pipelineFle": "${PIPELINE_FILE}" }`,
      });
      const { runId } = await ui.submitStartWorkflow(workflowId);

      const handle = env.client.workflow.getHandle(workflowId, runId);
      const error = await handle.result().then(() => undefined, (err: unknown) => err);
      expect(error).toBeInstanceOf(WorkflowFailedError);
      const cause = (error as WorkflowFailedError).cause;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect((cause as ApplicationFailure).type).toBe('InvalidPipelineInput');
      expect((cause as ApplicationFailure).nonRetryable).toBe(true);
      expect(cause?.message).toContain('pipelineFle: unknown field');

      // Failed on the first workflow task: no activity was ever scheduled, so none was retried.
      const described = await handle.describe();
      expect(described.status.name).toBe('FAILED');
      expect(described.typedSearchAttributes.get(OUTCOME)).toBe('invalid-definition');
      const { events } = await handle.fetchHistory();
      expect(events?.filter((e) => e.activityTaskScheduledEventAttributes)).toEqual([]);
      expect(events?.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);

      await ui.openRun(workflowId, runId);
      await ui.runStatus('Failed').waitFor();
      const failedEvent = ui.main.getByRole('row').filter({ hasText: 'Workflow Execution Failed' });
      await failedEvent.getByText('pipelineFle: unknown field', { exact: false }).first().waitFor();
      expect(await failedEvent.innerText()).toMatch(/pipelineFle: unknown field \(check the spelling/);
      expect(await ui.main.getByText('Activity Task Scheduled').count()).toBe(0);
      await ui.screenshot('web-ui-bad-input.png');
    });
  }, 60_000);
});
