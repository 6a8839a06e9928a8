/**
 * Drives the real Temporal Web UI (2.42) in headless Chromium with playwright-core, through the
 * same roles and labels a person uses: the Start Workflow form, the run page, the workflow list.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/** Headless Chromium with a fresh profile (playwright makes a temporary user-data-dir). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ],
  });
}

export interface StartWorkflowForm {
  workflowId: string;
  taskQueue: string;
  workflowType: string;
  /** Typed into the form's JSON input editor as is. */
  input: string;
}

export class TemporalWebUi {
  constructor(
    readonly page: Page,
    readonly baseUrl: string,
    readonly screenshotDir: string,
    readonly namespace = 'default',
  ) {}

  private url(suffix: string): string {
    return `${this.baseUrl}/namespaces/${encodeURIComponent(this.namespace)}/${suffix}`;
  }

  get main(): Locator {
    return this.page.getByRole('main');
  }

  /** Opens Workflows → Start Workflow and fills the form (without submitting). */
  async fillStartWorkflowForm(form: StartWorkflowForm): Promise<void> {
    const { page } = this;
    await page.goto(this.url('workflows'));
    await this.main.getByRole('button', { name: 'Start Workflow' }).click();
    await page.getByRole('heading', { name: 'Start a Workflow' }).waitFor();
    await page.getByRole('textbox', { name: 'Workflow ID' }).fill(form.workflowId);
    await page.getByRole('textbox', { name: 'Task Queue' }).fill(form.taskQueue);
    await page.getByRole('textbox', { name: 'Workflow Type' }).fill(form.workflowType);
    // Once the queue field loses focus the form looks the queue up and says whether a worker polls it.
    await this.main.getByRole('status').getByText('Task Queue is Active').waitFor();

    // The input is a CodeMirror editor (a contenteditable with role textbox and no name). Typing
    // key by key would fight its bracket auto-closing, so select all and insert the text at once.
    const editor = this.inputEditor;
    await editor.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.insertText(form.input);
    // Leave the editor before submitting: on blur it re-formats the JSON, which grows the box and
    // moves the submit button; a click that blurs it would otherwise land on empty space.
    await page.getByRole('textbox', { name: 'Workflow ID' }).focus();
  }

  /** The Start Workflow form's JSON input editor. */
  get inputEditor(): Locator {
    return this.main.getByRole('textbox', { name: '', exact: true }).first();
  }

  /** Submits the filled form; resolves with the run id the UI got back and waits for its toast. */
  async submitStartWorkflow(workflowId: string): Promise<{ runId: string }> {
    const { page } = this;
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes(`/workflows/${encodeURIComponent(workflowId)}`)),
      this.main.getByRole('button', { name: 'Start Workflow' }).click(),
    ]);
    const body = (await response.json()) as { runId?: string; message?: string };
    if (!response.ok() || !body.runId) throw new Error(`the UI could not start the workflow (${response.status()}): ${JSON.stringify(body)}`);
    // Wait until the toast has slid in and stands still (a trial click only checks actionability).
    await this.startedToast.click({ trial: true });
    return { runId: body.runId };
  }

  /** The "Workflow started successfully" toast; it links to the new run. */
  get startedToast(): Locator {
    return this.page.getByRole('link', { name: 'Workflow started successfully' });
  }

  async openRun(workflowId: string, runId: string, tab: 'history' | 'search-attributes' = 'history'): Promise<void> {
    await this.page.goto(this.url(`workflows/${encodeURIComponent(workflowId)}/${runId}/${tab}`));
    await this.page.getByRole('heading', { level: 1, name: workflowId }).waitFor();
  }

  /** The status badge next to the run's title (Running, Completed, Failed, ...). */
  runStatus(status: string): Locator {
    return this.main.getByText(status, { exact: true }).first();
  }

  /** The run page's "Search Attributes" tab, as the JSON text it shows. */
  async searchAttributesText(): Promise<string> {
    await this.page.getByRole('tab', { name: 'Search Attributes' }).click();
    const panel = this.main.getByRole('textbox').last();
    await this.page.getByRole('heading', { name: 'Search Attributes', level: 3 }).waitFor();
    await panel.getByText('indexedFields').waitFor();
    return panel.innerText();
  }

  /**
   * Types a visibility query into the workflow list's query box (the "</>" toggle next to Add
   * Filter) and waits until a row for `workflowId` is listed; re-runs the search while
   * visibility catches up.
   */
  async findInList(query: string, workflowId: string, timeoutMs = 15_000): Promise<Locator> {
    const { page } = this;
    await page.goto(this.url('workflows'));
    await page.getByTestId('toggle-manual-query').click();
    const box = page.getByRole('searchbox', { name: 'Enter a query' });
    await box.fill(query);
    const row = this.main.getByRole('table', { name: 'Workflows' }).getByRole('row').filter({ has: page.getByRole('link', { name: workflowId, exact: true }) });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await box.press('Enter');
      try {
        await row.first().waitFor({ timeout: 2_000 });
        return row;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
    }
  }

  async screenshot(name: string, options: { fullPage?: boolean } = {}): Promise<string> {
    await mkdir(this.screenshotDir, { recursive: true });
    const file = path.join(this.screenshotDir, name);
    await this.page.screenshot({ path: file, fullPage: options.fullPage ?? false });
    return file;
  }
}
