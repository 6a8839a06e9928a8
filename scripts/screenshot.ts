/**
 * scripts/screenshot.ts <page.html> <out.png>: a full-page screenshot of a report in headless
 * Chromium (the Debian package, as the browser tests use), with the network blocked, so what is
 * saved is what a person opening the file sees. The demo uses it for the performance report.
 * Exits 2 without Chromium (the demo then says so and goes on).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.MLOPS_CHROMIUM ?? '/usr/bin/chromium';
const [page, out] = process.argv.slice(2);
if (!page || !out) {
  console.error('usage: screenshot.ts <page.html> <out.png>');
  process.exit(1);
}
if (!existsSync(CHROMIUM)) {
  console.error(`no Chromium at ${CHROMIUM} (apt-get install chromium); no screenshot taken`);
  process.exit(2);
}
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.route(/^(?!file:)/, (route) => route.abort());
  const tab = await context.newPage();
  await tab.goto(pathToFileURL(path.resolve(page)).href);
  await mkdir(path.dirname(path.resolve(out)), { recursive: true });
  await tab.screenshot({ path: out, fullPage: true });
  console.log(`screenshot: ${out}`);
} finally {
  await browser.close();
}
