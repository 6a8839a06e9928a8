/**
 * The files users run us with: docker-compose.yml passes `docker-compose config` and describes
 * the whole stack (pinned images, health checks, named volumes, the files it mounts exist), and
 * the GitHub Actions workflows pass actionlint (which is shown to reject a broken workflow).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, writeFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  healthcheck?: { test: unknown };
  volumes?: Array<string | { type: string; source: string; target: string }>;
  environment?: Record<string, string>;
  ports?: unknown[];
  network_mode?: string;
  networks?: Record<string, { aliases?: string[] } | null>;
  restart?: string;
}

describe('docker-compose.yml', () => {
  let config: { services: Record<string, ComposeService>; volumes: Record<string, unknown> };

  beforeAll(async () => {
    // Compose v1 (Debian's docker-compose) or v2 (docker compose), whichever the machine has.
    const { stdout } = await run('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: root }).catch(() =>
      run('docker', ['compose', '-f', 'docker-compose.yml', 'config'], { cwd: root }),
    );
    config = parse(stdout) as typeof config;
  });

  it('passes `docker-compose config` and holds the whole stack', () => {
    expect(Object.keys(config.services).sort()).toEqual(
      ['api', 'gateway', 'grafana', 'mlflow', 'object-store', 'postgresql', 'prometheus', 'temporal', 'temporal-search-attributes', 'temporal-ui', 'worker'].sort(),
    );
    for (const name of ['worker', 'api', 'gateway']) expect(config.services[name]!.build, `${name} is built from the repo's Dockerfile`).toBeDefined();
    expect(config.services['temporal-ui']!.environment?.TEMPORAL_START_WORKFLOW_DISABLED).toBe('false');
  });

  it('pins every pulled image and health-checks every long-running service', () => {
    for (const [name, service] of Object.entries(config.services)) {
      if (service.build) continue;
      expect(service.image, name).toMatch(/^[^\s:]+:(?!latest$)[\w.-]+$/);
    }
    for (const [name, service] of Object.entries(config.services)) {
      if (service.restart === 'no') continue; // one-shot setup
      expect(service.healthcheck?.test, `${name} has a health check`).toBeDefined();
    }
  });

  it('keeps state in named volumes and mounts files that exist', () => {
    const named = new Set(Object.keys(config.volumes));
    expect([...named].sort()).toEqual(['grafana-data', 'mlflow-data', 'mlops-data', 'object-store-data', 'postgres-data', 'prometheus-data']);
    for (const [name, service] of Object.entries(config.services)) {
      for (const volume of service.volumes ?? []) {
        const source = typeof volume === 'string' ? volume.split(':')[0]! : volume.source;
        const type = typeof volume === 'string' ? (source.startsWith('/') || source.startsWith('.') ? 'bind' : 'volume') : volume.type;
        if (type === 'volume') expect(named.has(source), `${name}: volume ${source} is declared`).toBe(true);
        else expect(existsSync(path.resolve(root, source)), `${name}: ${source} exists`).toBe(true);
      }
    }
  });

  it('lets Prometheus reach every target it scrapes', async () => {
    const prometheus = parse(await readFile(path.join(root, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const hostnames = new Map<string, string>();
    for (const [name, service] of Object.entries(config.services)) {
      hostnames.set(name, name);
      for (const aliases of Object.values(service.networks ?? {})) for (const alias of aliases?.aliases ?? []) hostnames.set(alias, name);
    }
    for (const job of prometheus.scrape_configs) {
      for (const target of job.static_configs.flatMap((c) => c.targets)) {
        const [host, port] = target.split(':');
        expect(hostnames.has(host!), `${job.job_name}: ${host} is a service or alias`).toBe(true);
        const service = config.services[hostnames.get(host!)!]!;
        const listens = [...(service.command ?? []), JSON.stringify(service.environment ?? {}), JSON.stringify(service.ports ?? [])].join(' ');
        const viaSharedNamespace = Object.values(config.services).some((s) => s.network_mode === `service:${hostnames.get(host!)}` && JSON.stringify(s.environment ?? {}).includes(port!));
        expect(listens.includes(port!) || viaSharedNamespace, `${job.job_name}: something listens on ${target}`).toBe(true);
      }
    }
  });
});

describe('GitHub Actions workflows', () => {
  const actionlint = path.join(root, '.tools/bin/actionlint');

  beforeAll(async () => {
    await run(path.join(root, 'scripts/install-actionlint'), [], { cwd: root, timeout: 600_000 });
  }, 600_000);

  it('pass actionlint', async () => {
    const { stdout } = await run(actionlint, ['-color=false'], { cwd: root });
    expect(stdout).toBe('');
  });

  it('are really checked: a broken workflow fails actionlint', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mlops-actionlint-'));
    await mkdir(path.join(dir, '.github/workflows'), { recursive: true });
    await writeFile(
      path.join(dir, '.github/workflows/broken.yml'),
      'on: push\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.nonexistent_context }}\n      - uses: actions/checkout@v4\n        with: { fetch-depht: 0 }\n',
    );
    const error = await run(actionlint, ['-color=false', '.github/workflows/broken.yml'], { cwd: dir }).catch((err: unknown) => err as { code: number; stdout: string });
    expect((error as { code?: number }).code).toBe(1);
    expect((error as { stdout: string }).stdout).toMatch(/nonexistent_context/);
  });
});
