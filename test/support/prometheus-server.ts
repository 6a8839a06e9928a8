/**
 * A real Prometheus for tests, started through scripts/prometheus on a free port with a
 * throwaway data directory, scraping the given targets every second.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { PrometheusMetricsSource } from '../../src/metrics/prometheus-metrics.js';

const run = promisify(execFile);
const script = path.resolve(import.meta.dirname, '../../scripts/prometheus');

/**
 * Installs Prometheus when missing (scripts/prometheus install: apt-get, needs root). Returns
 * why it is unavailable, after printing a banner no one can miss, or undefined when it is there.
 */
export async function prometheusUnavailableReason(testName: string): Promise<string | undefined> {
  try {
    await run(script, ['install'], { timeout: 300_000 });
    return undefined;
  } catch (err) {
    const { stderr, message } = err as { stderr?: string; message: string };
    const reason = (stderr?.trim() || message).split('\n').slice(-5).join('\n');
    const line = '!'.repeat(100);
    console.warn(`\n${line}\n!!! SKIPPING ${testName}: Prometheus is not installed and could not be installed.\n!!! ${reason.replace(/\n/g, '\n!!! ')}\n!!! Run 'scripts/prometheus install' as root (apt-get install -y prometheus).\n${line}\n`);
    return reason;
  }
}

export interface RunningPrometheus {
  url: string;
  source: PrometheusMetricsSource;
  /** Waits until Prometheus has scraped every target once more, so a query right after sees fresh data. */
  waitForFreshScrape(): Promise<void>;
  /** Waits until the query answers at least one series. */
  waitForSeries(promql: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrometheus(targets: string[]): Promise<RunningPrometheus> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'mlops-prometheus-'));
  const port = await freePort();
  const env = { ...process.env, PROMETHEUS_PORT: String(port), PROMETHEUS_DIR: directory, PROMETHEUS_TARGETS: targets.join(',') };
  await run(script, ['start'], { env, timeout: 60_000 });
  const url = `http://127.0.0.1:${port}`;
  const source = new PrometheusMetricsSource(url);

  const lastScrape = async (): Promise<number> => {
    const answer = await source.query('min(timestamp(up))');
    return answer.kind === 'value' && answer.value !== null ? answer.value : 0;
  };
  const waitForSeries = async (promql: string, timeoutMs = 20_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while ((await source.query(promql)).kind === 'empty') {
      if (Date.now() > deadline) throw new Error(`Prometheus at ${url} has no series for ${promql} after ${timeoutMs} ms`);
      await sleep(100);
    }
  };
  return {
    url,
    source,
    waitForSeries,
    async waitForFreshScrape() {
      await waitForSeries(`up == 1`);
      const before = await lastScrape();
      const deadline = Date.now() + 10_000;
      while ((await lastScrape()) <= before) {
        if (Date.now() > deadline) throw new Error(`Prometheus at ${url} did not scrape ${targets.join(', ')} within 10 s`);
        await sleep(25);
      }
    },
    async stop() {
      await run(script, ['stop'], { env, timeout: 30_000 }).catch((err: unknown) => console.warn(`stopping Prometheus: ${String(err)}`));
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** The bucket (lower, upper] of a histogram that holds `value`; how precise a histogram quantile can be. */
export function bucketAround(value: number, upperBounds: readonly number[]): { lower: number; upper: number } {
  const index = upperBounds.findIndex((upper) => value <= upper);
  if (index < 0) throw new Error(`${value} is beyond the top bucket ${upperBounds.at(-1)}`);
  return { lower: index === 0 ? 0 : upperBounds[index - 1]!, upper: upperBounds[index]! };
}
