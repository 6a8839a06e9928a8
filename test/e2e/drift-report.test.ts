/**
 * The drift report page: what the HTML says (escaping, large reports, the files on disk), then
 * what a person sees when headless Chromium opens it from a file:// URL with the network blocked.
 * The screenshot goes to .data/screenshots/ (docs/screenshots/ with MLOPS_UPDATE_SCREENSHOTS=1,
 * which is how the committed one was made).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { DriftReport } from '../../src/drift/drift-report.js';
import { renderDriftReportHtml, writeDriftReport } from '../../src/drift/report-html.js';
import { MAX_CATEGORIES_DRAWN, categoryShares, chooseCategoriesToDraw } from '../../src/drift/report-charts.js';
import { CHROMIUM_PATH, chromiumAvailable, launchChromium } from '../support/browser-web-ui.js';
import { HOSTILE_MARKUP, fraudDriftReport, hostileDriftReport, largeDriftReport } from '../support/drift-report-fixtures.js';
import { generateFraudTable } from '../../src/data/generate.js';
import { compareProfiles } from '../../src/drift/compare.js';
import { profileFromTable } from '../../src/drift/window-profile.js';

const root = path.resolve(import.meta.dirname, '../..');
const SCREENSHOTS = path.join(root, process.env.MLOPS_UPDATE_SCREENSHOTS ? 'docs/screenshots' : '.data/screenshots');

const haveChromium = chromiumAvailable();
if (!haveChromium) {
  console.warn(
    `\n${'!'.repeat(78)}\n!! SKIPPING the browser half of test/e2e/drift-report.test.ts: no Chromium at ${CHROMIUM_PATH}.\n` +
      `!! The drift report was NOT rendered in a browser. Install it with: apt-get install chromium\n${'!'.repeat(78)}\n`,
  );
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'mlops-drift-report-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('drift report HTML', () => {
  it('escapes markup in column names, categories, findings and the model name', () => {
    const html = renderDriftReportHtml(hostileDriftReport());
    for (const hostile of Object.values(HOSTILE_MARKUP)) expect(html.includes(hostile), hostile).toBe(false);
    expect(html.match(/<script|<img|<svg onload|<b>bold/i)?.[0]).toBeUndefined();
    expect(html).toContain('&lt;script&gt;globalThis.pwned=1&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=&quot;globalThis.pwned=1&quot;&gt;amount');
    expect(html).toContain('category &quot;&lt;b&gt;bold&lt;/b&gt;&quot; &amp; friends');
  });

  it('is one file that loads nothing: no script, no external URL, and a CSP that forbids both', () => {
    const html = renderDriftReportHtml(fraudDriftReport(), { links: [{ label: 'Run', href: 'http://127.0.0.1:8233/run' }] });
    expect(html.match(/<script|<link|<img|<iframe|@import|url\(/i)?.[0]).toBeUndefined();
    const sources = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((match) => match[1]);
    expect(sources.filter((source) => !source!.startsWith('#'))).toEqual(['http://127.0.0.1:8233/run']);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'`);
  });

  it('turns a javascript: link from the options into a harmless one', () => {
    const html = renderDriftReportHtml(fraudDriftReport(), { links: [{ label: 'bad', href: ' JavaScript:alert(1)' }, { label: 'json', href: 'report.json' }] });
    expect(/javascript:/i.test(html)).toBe(false);
    expect(html).toContain('<a href="#">bad</a>');
    expect(html).toContain('<a href="report.json">json</a>');
  });

  it('says dataset drift in red when the share reaches the threshold, and all clear in green when nothing drifted', () => {
    const drifting: DriftReport = { ...fraudDriftReport(), drifted: 4, share: 4 / 7, datasetDrift: true };
    expect(renderDriftReportHtml(drifting)).toMatch(/class="status status-drift"[^]*Dataset drift detected[^]*4 of 7 evaluated columns drifted \(57\.1%\), at or above the dataset-drift threshold of 50%/);

    const clean = fraudDriftReport();
    clean.columns = clean.columns.filter((column) => column.drifted === false);
    clean.findings = [];
    Object.assign(clean, { evaluated: clean.columns.length, drifted: 0, share: 0 });
    expect(renderDriftReportHtml(clean)).toMatch(/class="status status-ok"[^]*No drift detected[^]*0 of 6 evaluated columns drifted \(0%\), below/);
    expect(renderDriftReportHtml(clean)).toContain('No missing-value shifts, new categories or column errors.');
  });

  it('keeps a large report usable: a row and a chart per column, categories beyond the limit behind "+N more"', () => {
    const report = largeDriftReport();
    const html = renderDriftReportHtml(report);
    expect(html.match(/<tr class="row-/g)).toHaveLength(120);
    expect(html.match(/<article class="panel chart-card/g)).toHaveLength(120);
    expect(html).toContain(`+${62 - MAX_CATEGORIES_DRAWN} more categories`);
    // Drifted columns come first.
    expect(html.indexOf('sensor_004_reading_normalised')).toBeLessThan(html.indexOf('sensor_001_reading_normalised'));
  });

  it('always draws new categories, even the smallest, and the largest of the rest', () => {
    const merchant = largeDriftReport().columns.find((column) => column.column === 'merchant_id')!;
    const { drawn, rest } = chooseCategoriesToDraw(categoryShares(merchant));
    expect(drawn).toHaveLength(MAX_CATEGORIES_DRAWN);
    expect(drawn.filter((c) => c.isNew).map((c) => c.category).sort()).toEqual(['merchant_new_1', 'merchant_new_2']);
    expect(drawn[0]!.category).toBe('merchant_00_');
    expect(Math.max(...rest.map((c) => c.reference))).toBeLessThanOrEqual(Math.min(...drawn.filter((c) => !c.isNew).map((c) => c.reference)));
  });

  it('writes report.json and report.html side by side, replacing the previous pair and leaving no temporary files', async () => {
    const dir = path.join(scratch, 'written');
    const report = fraudDriftReport();
    await writeDriftReport({ ...report, currentRows: 1 }, dir);
    const written = await writeDriftReport(report, dir, { links: [{ label: 'Workflow run', href: 'http://127.0.0.1:8233/x' }] });
    expect((await readdir(dir)).sort()).toEqual(['report.html', 'report.json']);
    expect(JSON.parse(await readFile(written.jsonPath, 'utf8'))).toEqual(report);
    const html = await readFile(written.htmlPath, 'utf8');
    expect(html).toContain('<a href="report.json">JSON</a>');
    expect(html).toContain('<a href="http://127.0.0.1:8233/x">Workflow run</a>');
    expect(html).toContain('48,213');
  });
});

describe.skipIf(!haveChromium)('drift report in headless Chromium', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Every request the page made that was not for a file:// URL (each one aborted). */
  const blocked: string[] = [];
  const requested: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.route('**/*', async (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      blocked.push(url);
      return route.abort('blockedbyclient');
    });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('request', (request) => requested.push(request.url()));
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(report: DriftReport, name: string): Promise<string> {
    const file = path.join(scratch, `${name}.html`);
    await writeFile(file, renderDriftReportHtml(report, { links: [{ label: 'Workflow run', href: 'http://127.0.0.1:8233/namespaces/default/workflows/x' }] }));
    const url = pathToFileURL(file).href;
    blocked.length = 0;
    requested.length = 0;
    await page.goto(url);
    return url;
  }

  it('notices a page that reaches for the network (so the check below can fail)', async () => {
    const file = path.join(scratch, 'leaky.html');
    await writeFile(file, '<!DOCTYPE html><link rel="stylesheet" href="https://fonts.example.com/x.css"><img src="http://127.0.0.1:9/x.png"><p>leaky</p>');
    blocked.length = 0;
    await page.goto(pathToFileURL(file).href);
    await expect.poll(() => blocked.length).toBeGreaterThanOrEqual(2);
  });

  it('shows the summary, a row and a chart per column and the findings, fetching nothing', async () => {
    const report = fraudDriftReport();
    const url = await open(report, 'drift-report');

    await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Drift report: fraud-detector v3');
    const status = page.getByRole('status');
    await expect(status.innerText()).resolves.toMatch(/No dataset drift[^]*1 of 7 evaluated columns drifted \(14\.3%\), below the dataset-drift threshold of 50%; 1 column could not be evaluated/);
    const summary = await page.getByRole('region', { name: 'Summary' }).innerText();
    for (const text of ['fraud-detector', 'champion v3', '24 h', '2025-03-14 00:00 UTC', '48,213', '200,000', '1 of 7']) expect(summary).toContain(text);

    const table = page.getByRole('table', { name: 'Drift per column' });
    const rows = table.locator('tbody tr');
    await expect(rows.count()).resolves.toBe(report.columns.length);
    for (const column of report.columns) await expect(rows.filter({ hasText: column.column }).count()).resolves.toBe(1);
    await expect(rows.first().innerText()).resolves.toMatch(/^amount\s+numeric\s+Wasserstein \(normed\)\s+0\.412\s+—\s+≥ 0\.1\s+Drift/);
    await expect(rows.filter({ hasText: 'ip_risk_score' }).innerText()).resolves.toMatch(/no values in the current window[^]*Error\s+0% → 100%/);
    await expect(rows.filter({ hasText: 'account_age_days' }).locator('td.shifted').innerText()).resolves.toBe('0.1% → 8.4%');
    await expect(rows.filter({ hasText: 'customer_age' }).innerText()).resolves.toMatch(/K-S test\s+0\.0121\s+0\.314\s+p ≤ 0\.05\s+No drift/);

    for (const column of report.columns) await expectChartWithBars(page.getByRole('article', { name: `Chart of ${column.column}` }), column.column);
    await expect(page.locator('article.chart-card').count()).resolves.toBe(report.columns.length);
    // The error column still shows its reference; the numeric ones overlay both sides.
    await expect(page.getByRole('article', { name: 'Chart of ip_risk_score' }).locator('rect.bar-current').count()).resolves.toBe(0);
    await expect(page.getByRole('article', { name: 'Chart of amount' }).locator('rect.bar-current').count()).resolves.toBeGreaterThan(5);

    const newCategories = page.getByRole('article', { name: 'Chart of merchant_category' }).locator('g.category-new');
    await expect(newCategories.allTextContents()).resolves.toEqual([expect.stringContaining('crypto_exchange'), expect.stringContaining('p2p_transfer')]);
    expect((await newCategories.first().locator('rect.new-band').boundingBox())!.width).toBeGreaterThan(300);
    await expect(page.getByRole('article', { name: 'Chart of country' }).getByText('+43 more categories').isVisible()).resolves.toBe(true);

    const findings = page.getByRole('region', { name: 'Findings' });
    await expect(findings.getByRole('heading', { level: 3 }).allInnerTexts()).resolves.toEqual(['Missing-value shifts (2)', 'New categories (1)', 'Column errors (1)']);
    const items = await findings.getByRole('listitem').allInnerTexts();
    expect(items).toHaveLength(4);
    expect(items).toContainEqual(expect.stringMatching(/^critical\s*ip_risk_score\s*no values in the current window: all 48,213 rows are null$/));
    expect(items).toContainEqual(expect.stringMatching(/^warning\s*merchant_category\s*2 categories not seen in training: crypto_exchange/));

    await expect(page.locator('script').count()).resolves.toBe(0);
    expect(blocked).toEqual([]);
    expect(requested).toEqual([url]);

    const file = await screenshot('drift-report.png', true);
    expect((await stat(file)).size).toBeGreaterThan(50_000);
  });

  it('draws every column of a report the engine made from the demo\'s data: flags and small counts as bars per value, a long tail with a clipped axis', async () => {
    // The demo's day 4: its fraud data, and the same generator with drift (what the monitor compares).
    const reference = generateFraudTable({ rows: 30_000, seed: 7 }).table;
    const current = generateFraudTable({ rows: 20_000, seed: 8, drift: 1 }).table;
    const features = reference.columns.map((c) => c.name).filter((name) => name !== 'transaction_id' && name !== 'is_fraud');
    const report = compareProfiles(profileFromTable(reference, features), profileFromTable(current, features), {
      model: 'fraud-detector', version: 2, window: { from: '2026-12-03T00:00:00.000Z', to: '2026-12-04T00:00:00.000Z' },
    });
    await open(report, 'drift-report-demo');
    await expect(page.locator('article.chart-card').count()).resolves.toBe(features.length);
    await expect(page.locator('svg.chart-empty').count(), 'no column without a chart').resolves.toBe(0);
    for (const column of features) await expectChartWithBars(page.getByRole('article', { name: `Chart of ${column}`, exact: true }), column);
    // A flag and a small count: one pair of bars per value, in value order.
    const flag = page.getByRole('article', { name: 'Chart of card_present' });
    await expect(flag.locator('text.category-label title').allTextContents()).resolves.toEqual(['0', '1']);
    const counts = await page.getByRole('article', { name: 'Chart of num_tx_last_24h' }).locator('text.category-label title').allTextContents();
    expect(counts.map(Number)).toEqual([...counts.map(Number)].sort((a, b) => a - b));
    expect(counts.length).toBeGreaterThan(3);
    // A long tail: the axis stops at the 99th percentile and says so; the end bar holds the rest.
    const tail = report.columns.find((c) => c.column === 'distance_from_home_km')!;
    expect(tail.reference.histogram.clip?.high).toBeDefined();
    const tailChart = page.getByRole('article', { name: 'Chart of distance_from_home_km' });
    await expect(tailChart.locator('text.chart-clip-note').textContent()).resolves.toMatch(/^(log axis; )?clipped at p99 = .+ \(end bar: the rest up to .+\)$/);
    await expect(tailChart.locator('rect.bar-tail').count()).resolves.toBeGreaterThan(0);
    // Most bins are visible: the outliers no longer squash the body into one bar.
    await expect(tailChart.locator('rect.bar-reference:not(.bar-tail)').count()).resolves.toBeGreaterThan(8);
    expect(blocked).toEqual([]);
    await screenshot('drift-report-demo.png', true);
  });

  it('renders hostile names as text: no element, attribute or script comes from the data', async () => {
    await open(hostileDriftReport(), 'drift-report-hostile');
    await expect(page.locator('script, img, iframe, [onerror], [onload]').count()).resolves.toBe(0);
    await expect(page.locator('svg b, li b').count()).resolves.toBe(0);
    await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe(`Drift report: ${HOSTILE_MARKUP.model} v3`);
    await expect(page.getByRole('heading', { level: 3, name: HOSTILE_MARKUP.column }).isVisible()).resolves.toBe(true);
    await expect(page.getByText(HOSTILE_MARKUP.detail).first().isVisible()).resolves.toBe(true);
    const hostileCategory = page.getByRole('article', { name: 'Chart of merchant_category' }).locator('g.category-new').last();
    await expect(hostileCategory.locator('title').first().textContent()).resolves.toBe(HOSTILE_MARKUP.category);
    expect(blocked).toEqual([]);
  });

  it('keeps 120 columns and 62 categories readable', async () => {
    const report = largeDriftReport();
    await open(report, 'drift-report-large');
    await expect(page.getByRole('table', { name: 'Drift per column' }).locator('tbody tr').count()).resolves.toBe(120);
    await expect(page.locator('article.chart-card').count()).resolves.toBe(120);
    const merchant = page.getByRole('article', { name: 'Chart of merchant_id' });
    await expect(merchant.locator('g.category').count()).resolves.toBe(MAX_CATEGORIES_DRAWN);
    const more = merchant.getByText('+50 more categories');
    await more.click();
    await expect(merchant.locator('details tbody tr').count()).resolves.toBe(50);
    const chart = await merchant.locator('svg.chart').boundingBox();
    expect(chart!.height).toBeLessThan(400);
    // A column name links to its chart.
    await page.getByRole('link', { name: 'merchant_id' }).click();
    expect(page.url()).toMatch(/#chart-119$/);
    await screenshot('drift-report-large.png', false);
    expect(blocked).toEqual([]);
  });

  async function expectChartWithBars(card: Locator, column: string): Promise<void> {
    const charts = card.locator('svg.chart');
    await expect(charts.count(), `${column}: one chart`).resolves.toBe(1);
    const box = await charts.boundingBox();
    expect(box!.width, `${column}: chart width`).toBeGreaterThan(300);
    expect(box!.height, `${column}: chart height`).toBeGreaterThan(40);
    const bars = card.locator('rect.bar');
    expect(await bars.count(), `${column}: bars`).toBeGreaterThan(0);
    for (const bar of [bars.first(), bars.last()]) {
      const barBox = await bar.boundingBox();
      expect(barBox!.width * barBox!.height, `${column}: bar size`).toBeGreaterThan(0);
    }
  }

  async function screenshot(name: string, fullPage: boolean): Promise<string> {
    await mkdir(SCREENSHOTS, { recursive: true });
    const file = path.join(SCREENSHOTS, name);
    await page.screenshot({ path: file, fullPage });
    return file;
  }
});
