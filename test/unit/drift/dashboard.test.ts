/**
 * The Grafana dashboard and the Prometheus scrape config under deploy/: every query reads series
 * the gateway and the drift monitor really export (taken from their registries after use), with
 * labels those series carry; the PromQL parses (promtool); the scrape config is valid.
 */
import { describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { DriftGauges } from '../../../src/drift/drift-gauges.js';
import { GatewayMetrics } from '../../../src/serving/gateway-metrics.js';
import { fraudDriftReport } from '../../support/drift-report-fixtures.js';

const root = path.resolve(import.meta.dirname, '../../..');
const DASHBOARD_FILE = path.join(root, 'deploy/grafana/dashboards/mlops.json');
const PROMETHEUS_CONFIG = path.join(root, 'deploy/prometheus/prometheus.yml');

interface Target { expr: string; legendFormat?: string; refId: string; datasource?: { type: string; uid: string } }
interface Panel { id: number; type: string; title: string; gridPos: { x: number; y: number; w: number; h: number }; datasource?: { type: string; uid: string }; targets?: Target[]; panels?: Panel[] }
interface Dashboard { uid: string; title: string; schemaVersion: number; panels: Panel[]; templating: { list: { name: string; type: string; query: unknown; definition?: string; datasource?: { uid: string } }[] } }

const dashboard = JSON.parse(await readFile(DASHBOARD_FILE, 'utf8')) as Dashboard;
const allPanels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
const queryPanels = allPanels.filter((panel) => panel.type !== 'row');
const targets = queryPanels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, target })));

/** Series name → label names, from the exposition text of the real exporters after some use. */
async function exportedSeries(): Promise<Map<string, Set<string>>> {
  const gateway = new GatewayMetrics(() => {
    const counters = { bufferedRows: 0, droppedRows: 0, writtenRows: 0, filesWritten: 0, failedFlushes: 0, lastFlushMs: null };
    return { predictions: counters, labels: counters, kpis: counters };
  });
  gateway.observeRequest('fraud-detector', 2, 200, 12, [0.1]);
  gateway.observeRequest('fraud-detector', 3, 503, 40, [null]);
  gateway.setRouteWeights({ model: 'fraud-detector', routes: [{ version: 2, url: 'http://a', weight: 95 }, { version: 3, url: 'http://b', weight: 5 }], revision: 1, updatedAt: '' });
  const drift = new DriftGauges(new Registry());
  drift.update(fraudDriftReport());

  const series = new Map<string, Set<string>>();
  for (const text of [await gateway.registry.metrics(), await drift.registry.metrics()]) {
    for (const line of text.split('\n')) {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line);
      if (!match) continue;
      const labels = series.get(match[1]!) ?? new Set<string>();
      for (const [, name] of (match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="/g)) labels.add(name!);
      series.set(match[1]!, labels);
    }
  }
  return series;
}

const FUNCTIONS = new Set(['sum', 'max', 'min', 'avg', 'count', 'rate', 'irate', 'increase', 'histogram_quantile', 'clamp_min', 'clamp_max', 'topk', 'last_over_time', 'max_over_time']);
const GROUPING_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring']);
const BINARY_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset']);

interface ParsedQuery {
  selectors: { metric: string; labels: string[] }[];
  groupings: string[][];
  functions: string[];
}

/** Just enough of PromQL to name the series, matcher labels, grouping labels and functions used. */
function parsePromQl(expr: string): ParsedQuery {
  const tokens = expr.match(/"(?:[^"\\]|\\.)*"|\{[^}]*\}|\[[^\]]*\]|[A-Za-z_:][A-Za-z0-9_:]*|\d+(?:\.\d+)?(?:e[+-]?\d+)?|\S/g) ?? [];
  const matcherLabels = (braces: string): string[] => [...braces.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]!);
  const parsed: ParsedQuery = { selectors: [], groupings: [], functions: [] };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const next = tokens[i + 1];
    if (token.startsWith('{')) {
      parsed.selectors.push({ metric: '', labels: matcherLabels(token) });
    } else if (/^[A-Za-z_:]/.test(token)) {
      if (GROUPING_KEYWORDS.has(token)) {
        const labels: string[] = [];
        for (i += 2; i < tokens.length && tokens[i] !== ')'; i++) if (tokens[i] !== ',') labels.push(tokens[i]!);
        parsed.groupings.push(labels);
      } else if (next === '(' || GROUPING_KEYWORDS.has(next ?? '')) {
        parsed.functions.push(token);
      } else if (!BINARY_KEYWORDS.has(token)) {
        parsed.selectors.push({ metric: token, labels: next?.startsWith('{') ? matcherLabels(next) : [] });
        if (next?.startsWith('{')) i++;
      }
    }
  }
  return parsed;
}

const legendLabels = (legend = ''): string[] => [...legend.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!);

describe('Grafana dashboard deploy/grafana/dashboards/mlops.json', () => {
  it('is a current dashboard with a Prometheus datasource variable that every panel and query uses', () => {
    expect(dashboard.uid).toBe('mlops-control-plane');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.schemaVersion).toBeLessThanOrEqual(41);
    const datasource = dashboard.templating.list.find((variable) => variable.type === 'datasource');
    expect(datasource).toMatchObject({ name: 'datasource', query: 'prometheus' });
    for (const panel of queryPanels) expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
    for (const { panel, target } of targets) expect(target.datasource, `${panel.title} ${target.refId}`).toEqual({ type: 'prometheus', uid: '${datasource}' });
    const model = dashboard.templating.list.find((variable) => variable.name === 'model');
    expect(model?.datasource?.uid).toBe('${datasource}');
  });

  it('queries only series the gateway and the drift monitor export, with labels those series carry', async () => {
    const exported = await exportedSeries();
    expect(targets.length).toBeGreaterThanOrEqual(9);
    for (const { panel, target } of targets) {
      const where = `${panel.title} / ${target.refId}: ${target.expr}`;
      const query = parsePromQl(target.expr);
      expect(query.selectors.length, where).toBeGreaterThan(0);
      const available = new Set<string>();
      for (const selector of query.selectors) {
        expect(exported.has(selector.metric), `${where}\n  reads "${selector.metric}", which nothing exports`).toBe(true);
        const labels = exported.get(selector.metric)!;
        for (const label of labels) available.add(label);
        for (const label of selector.labels) expect(labels.has(label), `${where}\n  matches on "${label}", not a label of ${selector.metric}`).toBe(true);
      }
      for (const fn of query.functions) expect(FUNCTIONS.has(fn), `${where}\n  unknown function ${fn}`).toBe(true);
      for (const grouping of query.groupings) for (const label of grouping) expect(available.has(label), `${where}\n  groups by "${label}"`).toBe(true);
      // A legend can only name labels that survive the aggregation.
      const kept = query.groupings.length > 0 ? query.groupings.reduce((a, b) => a.filter((label) => b.includes(label))) : [...available];
      for (const label of legendLabels(target.legendFormat)) expect(kept, `${where}\n  legend uses {{${label}}}`).toContain(label);
    }
    const variable = dashboard.templating.list.find((v) => v.name === 'model')!;
    const [, metric, label] = /^label_values\((\w+),\s*(\w+)\)$/.exec(variable.definition ?? '') ?? [];
    expect(exported.get(metric!)?.has(label!), variable.definition).toBe(true);
  });

  it('shows drift per feature and dataset, latency p50/p99, error and request rates per version, and canary weights', () => {
    const byTitle = new Map(queryPanels.map((panel) => [panel.title, (panel.targets ?? []).map((t) => t.expr).join('\n')]));
    const expectations: [string, RegExp][] = [
      ['Dataset drift', /mlops_drift_dataset_drift\{/],
      ['Dataset drift share', /mlops_drift_dataset_share\{/],
      ['Drift score per feature', /by \(feature, test\) \(mlops_drift_feature_score\{/],
      ['Drifted features', /by \(feature\) \(mlops_drift_feature_drifted\{/],
      ['Request rate per version', /sum by \(model, version\) \(rate\(mlops_gateway_requests_total\{/],
      ['Error rate per version', /code=~"5\.\."[^]*\/ sum by \(model, version\) \(rate\(mlops_gateway_requests_total/],
      ['Prediction latency p50 / p99 per version', /histogram_quantile\(0\.5, sum by \(model, version, le\) \(rate\(mlops_gateway_request_duration_seconds_bucket[^]*histogram_quantile\(0\.99,/],
      ['Canary weight', /mlops_gateway_route_weight\{/],
    ];
    for (const [title, pattern] of expectations) expect(byTitle.get(title), title).toMatch(pattern);
    for (const { target } of targets) expect(target.expr, 'every query follows the model picker').toContain('model=~"$model"');
  });

  it('lays panels out on the 24-column grid without overlaps, with unique ids', () => {
    expect(new Set(allPanels.map((panel) => panel.id)).size).toBe(allPanels.length);
    const cells = new Map<string, string>();
    for (const { title, gridPos: { x, y, w, h } } of allPanels) {
      expect(x + w, title).toBeLessThanOrEqual(24);
      for (let column = x; column < x + w; column++) {
        for (let row = y; row < y + h; row++) {
          const key = `${column},${row}`;
          expect(cells.get(key), `${title} overlaps ${cells.get(key)} at ${key}`).toBeUndefined();
          cells.set(key, title);
        }
      }
    }
  });

  it.skipIf(!promtool())('has PromQL that Prometheus parses (promtool check rules)', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'mlops-dashboard-'));
    try {
      const rules = targets.map(({ target }, index) => ({
        record: `dashboard:query_${index}`,
        expr: target.expr.replaceAll('$__rate_interval', '1m').replaceAll('$model', '.*'),
      }));
      const file = path.join(directory, 'rules.yml');
      await writeFile(file, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }));
      const { stdout } = await promisify(execFile)('promtool', ['check', 'rules', file]);
      expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('Prometheus and Grafana provisioning for docker-compose', () => {
  it('scrapes the gateway, the worker and the API every 5 s', async () => {
    const config = parseYaml(await readFile(PROMETHEUS_CONFIG, 'utf8')) as { global: { scrape_interval: string }; scrape_configs: { job_name: string; scrape_interval?: string; static_configs: { targets: string[] }[] }[] };
    expect(config.global.scrape_interval).toBe('5s');
    const jobs = Object.fromEntries(config.scrape_configs.map((job) => [job.job_name, job.static_configs.flatMap((s) => s.targets)]));
    expect(jobs).toEqual({ gateway: ['gateway:8080'], worker: ['worker:9464'], api: ['api:8081'] });
    for (const job of config.scrape_configs) expect(job.scrape_interval ?? '5s', job.job_name).toBe('5s');
  });

  it.skipIf(!promtool())('is a valid Prometheus config (promtool check config)', async () => {
    const { stdout } = await promisify(execFile)('promtool', ['check', 'config', PROMETHEUS_CONFIG]);
    expect(stdout).toContain('SUCCESS');
  });

  it('provisions the Prometheus datasource and the dashboard folder Grafana loads the JSON from', async () => {
    const datasources = parseYaml(await readFile(path.join(root, 'deploy/grafana/provisioning/datasources/prometheus.yaml'), 'utf8')) as { datasources: { type: string; url: string; isDefault: boolean }[] };
    expect(datasources.datasources).toEqual([expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090', isDefault: true })]);
    const providers = parseYaml(await readFile(path.join(root, 'deploy/grafana/provisioning/dashboards/mlops.yaml'), 'utf8')) as { providers: { type: string; options: { path: string } }[] };
    expect(providers.providers).toEqual([expect.objectContaining({ type: 'file', options: expect.objectContaining({ path: '/var/lib/grafana/dashboards' }) })]);
  });
});

let promtoolFound: boolean | undefined;
function promtool(): boolean {
  if (promtoolFound === undefined) {
    try {
      execFileSync('promtool', ['--version'], { stdio: 'ignore' });
      promtoolFound = true;
    } catch {
      promtoolFound = false;
      const line = '!'.repeat(90);
      console.warn(`\n${line}\n!!! SKIPPING the promtool checks of test/unit/drift/dashboard.test.ts: promtool is not on PATH.\n!!! The PromQL and prometheus.yml were NOT checked by Prometheus. Install it with: apt-get install prometheus\n${line}\n`);
    }
  }
  return promtoolFound;
}
