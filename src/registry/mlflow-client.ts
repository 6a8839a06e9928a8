/**
 * A thin typed client for MLflow's REST API (`/api/2.0/mlflow/...`) and its artifact proxy
 * (`/api/2.0/mlflow-artifacts/artifacts/...`): the calls the MLflow registry adapter needs and
 * nothing else. GET sends fields as query parameters, other verbs a JSON body; answers are
 * MLflow's snake_case JSON. Every call has a timeout; failures are the typed errors of
 * mlflow-errors.ts. Headers (auth) are handed in by the caller, which reads them from the
 * environment at run time.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { errorFromFailedFetch, errorFromResponse, MlflowAlreadyExistsError, MlflowNotFoundError } from './mlflow-errors.js';

export interface MlflowTag {
  key: string;
  value: string;
}

export interface MlflowExperiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage?: string;
  tags?: MlflowTag[];
}

export interface MlflowRunInfo {
  run_id: string;
  experiment_id: string;
  run_name?: string;
  status?: string;
  start_time?: number;
  end_time?: number;
  artifact_uri?: string;
  lifecycle_stage?: string;
}

export interface MlflowMetric {
  key: string;
  value: number;
  timestamp: number;
  step?: number;
}

export interface MlflowRun {
  info: MlflowRunInfo;
  data: { metrics?: MlflowMetric[]; params?: MlflowTag[]; tags?: MlflowTag[] };
}

export interface MlflowModelVersion {
  name: string;
  /** MLflow numbers versions as strings. */
  version: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  description?: string;
  source?: string;
  run_id?: string;
  status?: string;
  tags?: MlflowTag[];
  aliases?: string[];
}

export interface MlflowRegisteredModel {
  name: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  description?: string;
  tags?: MlflowTag[];
  aliases?: { alias: string; version: string }[];
  /** The newest version per legacy stage (we never use stages, so: the newest). */
  latest_versions?: MlflowModelVersion[];
}

export interface MlflowPage<T> {
  items: T[];
  nextPageToken?: string;
}

export interface MlflowClientOptions {
  /** Base URL of the tracking server, e.g. `http://127.0.0.1:5000` (a path prefix is kept). */
  trackingUri: string;
  /** Sent with every request (auth); never logged. */
  headers?: Record<string, string>;
  /** Per REST call; default 30 s. */
  timeoutMs?: number;
  /** Per artifact upload or download; default 10 minutes. */
  artifactTimeoutMs?: number;
}

type Query = Record<string, string | number | readonly string[] | undefined>;

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_ARTIFACT_TIMEOUT_MS = 600_000;
/** MLflow's largest page for searches of runs, models and versions. */
const PAGE_SIZE = 1000;
/** Safety stop for pagination: a server that keeps handing out tokens must not loop us forever. */
const MAX_PAGES = 10_000;

export class MlflowClient {
  readonly baseUrl: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly artifactTimeoutMs: number;

  constructor(options: MlflowClientOptions) {
    this.baseUrl = options.trackingUri.replace(/\/+$/, '');
    this.headers = { ...options.headers };
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.artifactTimeoutMs = options.artifactTimeoutMs ?? DEFAULT_ARTIFACT_TIMEOUT_MS;
  }

  // ---------------------------------------------------------------- experiments and runs

  async getExperimentByName(name: string): Promise<MlflowExperiment | undefined> {
    return orUndefinedIfMissing(async () => (await this.call<{ experiment: MlflowExperiment }>('GET', 'experiments/get-by-name', { experiment_name: name })).experiment);
  }

  /** The experiment with that name, created when missing (a concurrent creation is not an error). */
  async getOrCreateExperiment(name: string, tags: MlflowTag[] = []): Promise<MlflowExperiment> {
    const existing = await this.getExperimentByName(name);
    if (existing !== undefined) return existing;
    try {
      const { experiment_id } = await this.call<{ experiment_id: string }>('POST', 'experiments/create', { name, tags });
      return (await this.call<{ experiment: MlflowExperiment }>('GET', 'experiments/get', { experiment_id })).experiment;
    } catch (err) {
      if (!(err instanceof MlflowAlreadyExistsError)) throw err;
      const raced = await this.getExperimentByName(name);
      if (raced === undefined) throw err;
      return raced;
    }
  }

  async createRun(args: { experimentId: string; runName?: string; startTime?: number; tags?: MlflowTag[] }): Promise<MlflowRun> {
    const body = { experiment_id: args.experimentId, run_name: args.runName, start_time: args.startTime ?? Date.now(), tags: args.tags ?? [] };
    return (await this.call<{ run: MlflowRun }>('POST', 'runs/create', body)).run;
  }

  async getRun(runId: string): Promise<MlflowRun | undefined> {
    return orUndefinedIfMissing(async () => (await this.call<{ run: MlflowRun }>('GET', 'runs/get', { run_id: runId })).run);
  }

  /** Every run matching `filter` (MLflow's search syntax), in `orderBy` order. */
  async searchRuns(args: { experimentIds: string[]; filter?: string; orderBy?: string[] }): Promise<MlflowRun[]> {
    return this.allPages(async (pageToken) => {
      const body = { experiment_ids: args.experimentIds, filter: args.filter, order_by: args.orderBy, max_results: PAGE_SIZE, page_token: pageToken };
      const page = await this.call<{ runs?: MlflowRun[]; next_page_token?: string }>('POST', 'runs/search', body);
      return { items: page.runs ?? [], nextPageToken: page.next_page_token };
    });
  }

  async logBatch(runId: string, batch: { metrics?: MlflowMetric[]; params?: MlflowTag[]; tags?: MlflowTag[] }): Promise<void> {
    await this.call('POST', 'runs/log-batch', { run_id: runId, metrics: batch.metrics ?? [], params: batch.params ?? [], tags: batch.tags ?? [] });
  }

  async setRunTag(runId: string, key: string, value: string): Promise<void> {
    await this.call('POST', 'runs/set-tag', { run_id: runId, key, value });
  }

  async updateRun(runId: string, status: 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED', endTime?: number): Promise<void> {
    await this.call('POST', 'runs/update', { run_id: runId, status, end_time: endTime });
  }

  async deleteRun(runId: string): Promise<void> {
    await this.call('POST', 'runs/delete', { run_id: runId });
  }

  // ---------------------------------------------------------------- registered models and versions

  /** Creates the registered model; `false` when it already existed (not an error). */
  async createRegisteredModel(name: string, options: { description?: string; tags?: MlflowTag[] } = {}): Promise<boolean> {
    try {
      await this.call('POST', 'registered-models/create', { name, description: options.description, tags: options.tags ?? [] });
      return true;
    } catch (err) {
      if (err instanceof MlflowAlreadyExistsError) return false;
      throw err;
    }
  }

  async getRegisteredModel(name: string): Promise<MlflowRegisteredModel | undefined> {
    return orUndefinedIfMissing(async () => (await this.call<{ registered_model: MlflowRegisteredModel }>('GET', 'registered-models/get', { name })).registered_model);
  }

  async searchRegisteredModels(filter?: string): Promise<MlflowRegisteredModel[]> {
    return this.allPages(async (pageToken) => {
      const page = await this.call<{ registered_models?: MlflowRegisteredModel[]; next_page_token?: string }>('GET', 'registered-models/search', {
        filter, max_results: PAGE_SIZE, order_by: ['name ASC'], page_token: pageToken,
      });
      return { items: page.registered_models ?? [], nextPageToken: page.next_page_token };
    });
  }

  async createModelVersion(args: { name: string; source: string; runId: string; tags?: MlflowTag[]; description?: string }): Promise<MlflowModelVersion> {
    const body = { name: args.name, source: args.source, run_id: args.runId, tags: args.tags ?? [], description: args.description };
    return (await this.call<{ model_version: MlflowModelVersion }>('POST', 'model-versions/create', body)).model_version;
  }

  async getModelVersion(name: string, version: number | string): Promise<MlflowModelVersion | undefined> {
    return orUndefinedIfMissing(async () => (await this.call<{ model_version: MlflowModelVersion }>('GET', 'model-versions/get', { name, version: String(version) })).model_version);
  }

  /** Every version matching `filter`, e.g. `name = 'fraud' AND run_id = '...'`. */
  async searchModelVersions(filter: string): Promise<MlflowModelVersion[]> {
    return this.allPages(async (pageToken) => {
      const page = await this.call<{ model_versions?: MlflowModelVersion[]; next_page_token?: string }>('GET', 'model-versions/search', {
        filter, max_results: PAGE_SIZE, page_token: pageToken,
      });
      return { items: page.model_versions ?? [], nextPageToken: page.next_page_token };
    });
  }

  async setModelVersionTag(name: string, version: number | string, key: string, value: string): Promise<void> {
    await this.call('POST', 'model-versions/set-tag', { name, version: String(version), key, value });
  }

  async setAlias(name: string, alias: string, version: number | string): Promise<void> {
    await this.call('POST', 'registered-models/alias', { name, alias, version: String(version) });
  }

  /** Removes the alias; an alias nobody holds is not an error. */
  async deleteAlias(name: string, alias: string): Promise<void> {
    try {
      await this.call('DELETE', 'registered-models/alias', { name, alias });
    } catch (err) {
      if (!(err instanceof MlflowNotFoundError)) throw err;
    }
  }

  /** The version the alias points at; undefined when the model or the alias does not exist. */
  async getModelVersionByAlias(name: string, alias: string): Promise<MlflowModelVersion | undefined> {
    const model = await this.getRegisteredModel(name);
    const holder = model?.aliases?.find((entry) => entry.alias === alias);
    if (holder === undefined) return undefined;
    return orUndefinedIfMissing(async () => (await this.call<{ model_version: MlflowModelVersion }>('GET', 'registered-models/alias', { name, alias })).model_version);
  }

  // ---------------------------------------------------------------- artifacts (through the proxy)

  /** Uploads a file to `path` under the server's artifact root (e.g. `1/<run>/artifacts/model/model.json`). */
  async uploadArtifact(path: string, file: string): Promise<void> {
    const { size } = await stat(file);
    const body = Readable.toWeb(createReadStream(file)) as unknown as ReadableStream<Uint8Array>;
    await this.send('PUT', this.artifactUrl(path), `PUT mlflow-artifacts/${path}`, this.artifactTimeoutMs, {
      body, duplex: 'half', headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
    });
  }

  /** Streams the artifact at `path` into `destination`, hashing it on the way. */
  async downloadArtifact(path: string, destination: string): Promise<{ sha256: string; size: number }> {
    const endpoint = `GET mlflow-artifacts/${path}`;
    const response = await this.send('GET', this.artifactUrl(path), endpoint, this.artifactTimeoutMs, {});
    if (response.body === null) throw errorFromResponse(endpoint, response.status, 'empty body');
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    await pipeline(Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>), tap, createWriteStream(destination));
    return { sha256: hash.digest('hex'), size };
  }

  // ---------------------------------------------------------------- plumbing

  /** One REST call to `/api/2.0/mlflow/<endpoint>`; answers the parsed JSON body. */
  async call<T = Record<string, never>>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', endpoint: string, fields: Query | Record<string, unknown> = {}): Promise<T> {
    const label = `${method} ${endpoint}`;
    let url = `${this.baseUrl}/api/2.0/mlflow/${endpoint}`;
    const init: RequestInit = { headers: { accept: 'application/json' } };
    if (method === 'GET') {
      const query = toQueryString(fields as Query);
      if (query) url += `?${query}`;
    } else {
      init.body = JSON.stringify(withoutUndefined(fields));
      init.headers = { ...init.headers, 'content-type': 'application/json' };
    }
    const response = await this.send(method, url, label, this.timeoutMs, init);
    const text = await response.text();
    if (text.trim() === '') return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw errorFromResponse(label, response.status, `not JSON: ${text}`);
    }
  }

  /** Sends the request with our headers and a timeout; a non-2xx answer becomes a typed error. */
  private async send(method: string, url: string, label: string, timeoutMs: number, init: RequestInit & { duplex?: 'half' }): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(url, {
        ...init,
        method,
        headers: { ...this.headers, ...(init.headers as Record<string, string> | undefined) },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw errorFromFailedFetch(label, this.baseUrl, err, timeoutMs);
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw errorFromResponse(label, response.status, text);
    }
    return response;
  }

  private artifactUrl(path: string): string {
    const encoded = path.split('/').filter((part) => part !== '').map(encodeURIComponent).join('/');
    return `${this.baseUrl}/api/2.0/mlflow-artifacts/artifacts/${encoded}`;
  }

  private async allPages<T>(fetchPage: (pageToken: string | undefined) => Promise<MlflowPage<T>>): Promise<T[]> {
    const items: T[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = await fetchPage(pageToken);
      items.push(...answer.items);
      if (!answer.nextPageToken) return items;
      pageToken = answer.nextPageToken;
    }
    throw new Error(`MLflow kept paginating past ${MAX_PAGES} pages`);
  }
}

/** The tag's value, or undefined. */
export function tagValue(tags: readonly MlflowTag[] | undefined, key: string): string | undefined {
  return tags?.find((tag) => tag.key === key)?.value;
}

/** A string literal for MLflow's search filters: single-quoted, quotes and backslashes escaped. */
export function filterString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

async function orUndefinedIfMissing<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof MlflowNotFoundError) return undefined;
    throw err;
  }
}

function toQueryString(fields: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) params.append(key, item);
    else params.append(key, String(value));
  }
  return params.toString();
}

function withoutUndefined(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}
