/**
 * The MLflow client against a small in-test HTTP server that replays MLflow's documented
 * answers (`{ error_code, message }` with MLflow's statuses: an existing name is 400
 * RESOURCE_ALREADY_EXISTS, not 409), so each error mapping is exact and can fail.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MlflowClient } from '../../../src/registry/mlflow-client.js';
import { mlflowClientOptions } from '../../../src/registry/mlflow-connection.js';
import {
  MlflowAlreadyExistsError,
  MlflowAuthError,
  MlflowConfigurationError,
  MlflowError,
  MlflowNotFoundError,
  MlflowRequestError,
  MlflowUnavailableError,
} from '../../../src/registry/mlflow-errors.js';
import { artifactRoot } from '../../../src/registry/mlflow-registry.js';
import { RegistrySection } from '../../../src/spec/schema.js';

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Answer = { status: number; body: string; contentType?: string };
/** A fixed answer, one computed from the request URL, or no answer at all. */
type Reply = Answer | ((url: URL) => Answer) | 'hang';

let server: Server;
let baseUrl: string;
let requests: Recorded[];
let replies: Map<string, Reply>;

const mlflowError = (status: number, error_code: string, message: string): Reply => ({ status, body: JSON.stringify({ error_code, message }) });

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
      const reply = replies.get(`${req.method} ${req.url!.split('?')[0]}`) ?? { status: 200, body: '{}' };
      if (reply === 'hang') return;
      const answer = typeof reply === 'function' ? reply(new URL(req.url!, 'http://x')) : reply;
      res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'application/json' });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  requests = [];
  replies = new Map();
});

const client = (options: { timeoutMs?: number; headers?: Record<string, string> } = {}) => new MlflowClient({ trackingUri: `${baseUrl}/`, ...options });
const api = (endpoint: string) => `/api/2.0/mlflow/${endpoint}`;

async function failure(promise: Promise<unknown>): Promise<MlflowError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(MlflowError);
  return error as MlflowError;
}

describe('MlflowClient requests', () => {
  it('sends GET fields as query parameters and other verbs as a JSON body without unset fields', async () => {
    replies.set(`GET ${api('model-versions/get')}`, { status: 200, body: JSON.stringify({ model_version: { name: 'fraud', version: '3' } }) });
    const version = await client().getModelVersion('fraud', 3);
    await client().createModelVersion({ name: 'fraud', source: 'runs:/abc/model', runId: 'abc' });

    expect(version).toEqual({ name: 'fraud', version: '3' });
    expect(requests[0]).toMatchObject({ method: 'GET', url: `${api('model-versions/get')}?name=fraud&version=3`, body: '' });
    expect(requests[1]!.method).toBe('POST');
    expect(requests[1]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(requests[1]!.body)).toEqual({ name: 'fraud', source: 'runs:/abc/model', run_id: 'abc', tags: [] });
  });

  it('sends the auth headers with every call, including artifact transfers', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mlflow-client-'));
    await writeFile(path.join(dir, 'model.json'), '{"w":[1]}');
    const authed = client({ headers: { authorization: 'Bearer s3cret', 'x-team': 'risk' } });
    await authed.setAlias('fraud', 'champion', 2);
    await authed.uploadArtifact('1/run/artifacts/model/model.json', path.join(dir, 'model.json'));

    for (const request of requests) {
      expect(request.headers.authorization).toBe('Bearer s3cret');
      expect(request.headers['x-team']).toBe('risk');
    }
    expect(requests[1]).toMatchObject({ method: 'PUT', url: '/api/2.0/mlflow-artifacts/artifacts/1/run/artifacts/model/model.json', body: '{"w":[1]}' });
  });

  it('follows next_page_token until the last page', async () => {
    replies.set(`GET ${api('model-versions/search')}`, (url) => ({
      status: 200,
      body: JSON.stringify(
        url.searchParams.get('page_token') === 'p2' ? { model_versions: [{ name: 'm', version: '2' }] } : { model_versions: [{ name: 'm', version: '1' }], next_page_token: 'p2' },
      ),
    }));
    const versions = await client().searchModelVersions("name = 'm'");
    expect(versions.map((v) => v.version)).toEqual(['1', '2']);
    expect(new URL(requests[1]!.url, baseUrl).searchParams.get('page_token')).toBe('p2');
  });

  it('downloads an artifact to a file and hashes the bytes on the way', async () => {
    const bytes = 'model bytes '.repeat(1000);
    replies.set('GET /api/2.0/mlflow-artifacts/artifacts/1/run/artifacts/model/model.json', { status: 200, body: bytes, contentType: 'application/octet-stream' });
    const destination = path.join(await mkdtemp(path.join(os.tmpdir(), 'mlflow-client-')), 'out.json');
    const got = await client().downloadArtifact('1/run/artifacts/model/model.json', destination);
    expect(got).toEqual({ sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length });
    expect(await readFile(destination, 'utf8')).toBe(bytes);
  });
});

describe('MlflowClient error mapping', () => {
  it('treats RESOURCE_ALREADY_EXISTS (400) on create as "exists", not as an error', async () => {
    replies.set(`POST ${api('registered-models/create')}`, mlflowError(400, 'RESOURCE_ALREADY_EXISTS', 'Registered Model (name=fraud) already exists.'));
    expect(await client().createRegisteredModel('fraud')).toBe(false);
    replies.delete(`POST ${api('registered-models/create')}`);
    expect(await client().createRegisteredModel('fraud')).toBe(true);
  });

  it('makes RESOURCE_ALREADY_EXISTS elsewhere a typed, non-retryable MlflowAlreadyExistsError', async () => {
    replies.set(`POST ${api('runs/create')}`, mlflowError(400, 'RESOURCE_ALREADY_EXISTS', 'Run already exists.'));
    const error = await failure(client().createRun({ experimentId: '1' }));
    expect(error).toBeInstanceOf(MlflowAlreadyExistsError);
    expect(error).toMatchObject({ name: 'MlflowAlreadyExistsError', code: 'RESOURCE_ALREADY_EXISTS', httpStatus: 400, retryable: false, endpoint: 'POST runs/create' });
  });

  it('answers undefined for RESOURCE_DOES_NOT_EXIST on reads, and MlflowNotFoundError on writes', async () => {
    replies.set(`GET ${api('model-versions/get')}`, mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', 'Model Version (name=fraud, version=9) not found'));
    replies.set(`GET ${api('experiments/get-by-name')}`, mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', "Could not find experiment with name 'x'"));
    replies.set(`POST ${api('runs/log-batch')}`, mlflowError(404, 'RESOURCE_DOES_NOT_EXIST', 'Run with id=abc not found'));
    expect(await client().getModelVersion('fraud', 9)).toBeUndefined();
    expect(await client().getExperimentByName('x')).toBeUndefined();
    const error = await failure(client().logBatch('abc', {}));
    expect(error).toBeInstanceOf(MlflowNotFoundError);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('Run with id=abc not found');
  });

  it('makes INVALID_PARAMETER_VALUE a non-retryable MlflowRequestError carrying MLflow\'s message', async () => {
    const message = "Invalid model version source: '/etc/passwd'. To use a local path as a model version source, the run_id request parameter has to be specified";
    replies.set(`POST ${api('model-versions/create')}`, mlflowError(400, 'INVALID_PARAMETER_VALUE', message));
    const error = await failure(client().createModelVersion({ name: 'fraud', source: '/etc/passwd', runId: 'abc' }));
    expect(error).toBeInstanceOf(MlflowRequestError);
    expect(error).not.toBeInstanceOf(MlflowNotFoundError);
    expect(error).toMatchObject({ name: 'MlflowRequestError', code: 'INVALID_PARAMETER_VALUE', httpStatus: 400, retryable: false });
    expect(error.message).toBe(`MLflow POST model-versions/create answered 400 INVALID_PARAMETER_VALUE: ${message}`);
  });

  it.each([
    [401, 'UNAUTHENTICATED', 'You are not authenticated.'],
    [403, 'PERMISSION_DENIED', 'Permission denied'],
    [401, 'HTTP_401', ''],
  ])('makes %i %s an MlflowAuthError that points at the token settings', async (status, code, message) => {
    replies.set(`GET ${api('registered-models/get')}`, code.startsWith('HTTP_') ? { status, body: 'You are not authenticated. Please see ...', contentType: 'text/plain' } : mlflowError(status, code, message));
    const error = await failure(client().getRegisteredModel('fraud'));
    expect(error).toBeInstanceOf(MlflowAuthError);
    expect(error).toMatchObject({ name: 'MlflowAuthError', code, httpStatus: status, retryable: false });
    expect(error.message).toContain('registry.authTokenEnv');
  });

  it.each([
    [503, 'TEMPORARILY_UNAVAILABLE', JSON.stringify({ error_code: 'TEMPORARILY_UNAVAILABLE', message: 'try later' })],
    [429, 'REQUEST_LIMIT_EXCEEDED', JSON.stringify({ error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'slow down' })],
    [500, 'INTERNAL_ERROR', JSON.stringify({ error_code: 'INTERNAL_ERROR', message: 'database is locked' })],
    [502, 'HTTP_502', '<html><body>Bad Gateway</body></html>'],
  ])('makes %i %s a retryable MlflowUnavailableError', async (status, code, body) => {
    replies.set(`POST ${api('runs/search')}`, { status, body, contentType: body.startsWith('{') ? 'application/json' : 'text/html' });
    const error = await failure(client().searchRuns({ experimentIds: ['1'] }));
    expect(error).toBeInstanceOf(MlflowUnavailableError);
    expect(error).toMatchObject({ name: 'MlflowUnavailableError', code, httpStatus: status, retryable: true });
  });

  it('does not read a 404 page that is not MLflow\'s as "not found": it is a wrong trackingUri', async () => {
    replies.set(`GET ${api('model-versions/get')}`, { status: 404, body: '<!doctype html><title>404 Not Found</title>', contentType: 'text/html' });
    const error = await failure(client().getModelVersion('fraud', 1));
    expect(error).toBeInstanceOf(MlflowRequestError);
    expect(error).not.toBeInstanceOf(MlflowNotFoundError);
    expect(error).toMatchObject({ code: 'ENDPOINT_NOT_FOUND', retryable: false });
    expect(error.message).toContain('trackingUri');
  });

  it('makes an unreachable server a retryable MlflowUnavailableError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(new MlflowClient({ trackingUri: `http://127.0.0.1:${port}` }).getRegisteredModel('fraud'));
    expect(error).toBeInstanceOf(MlflowUnavailableError);
    expect(error).toMatchObject({ code: 'UNREACHABLE', httpStatus: undefined, retryable: true });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('gives up after the timeout with a retryable MlflowUnavailableError', async () => {
    replies.set(`GET ${api('registered-models/get')}`, 'hang');
    const started = Date.now();
    const error = await failure(client({ timeoutMs: 300 }).getRegisteredModel('fraud'));
    expect(error).toMatchObject({ name: 'MlflowUnavailableError', code: 'TIMEOUT', retryable: true });
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

describe('registry section → client options', () => {
  const section = (extra: Record<string, unknown>) => RegistrySection.parse({ kind: 'mlflow', trackingUri: 'http://mlflow.internal:5000', ...extra }) as Extract<RegistrySection, { kind: 'mlflow' }>;

  it('reads the token and extra headers from the environment variables the definition names', () => {
    const options = mlflowClientOptions(section({ authTokenEnv: 'MY_TOKEN', headersEnv: 'MY_HEADERS', timeout: '5s' }), {
      MY_TOKEN: 't0ken',
      MY_HEADERS: '{"X-Team": "risk", "Authorization": "Basic dXNlcjpwYXNz"}',
    });
    expect(options).toEqual({
      trackingUri: 'http://mlflow.internal:5000',
      headers: { 'x-team': 'risk', authorization: 'Bearer t0ken' },
      timeoutMs: 5_000,
      artifactTimeoutMs: 600_000,
    });
  });

  it('fails with MlflowConfigurationError naming the variable when it is missing or not a JSON object', () => {
    expect(() => mlflowClientOptions(section({ authTokenEnv: 'MY_TOKEN' }), {})).toThrow(MlflowConfigurationError);
    expect(() => mlflowClientOptions(section({ authTokenEnv: 'MY_TOKEN' }), {})).toThrow(/MY_TOKEN \(registry.authTokenEnv\) is not set/);
    expect(() => mlflowClientOptions(section({ headersEnv: 'H' }), { H: 'X-Team: risk' })).toThrow(/H \(registry.headersEnv\) must hold a JSON object/);
    expect(() => mlflowClientOptions(section({ headersEnv: 'H' }), { H: '{"X-Retries": 3}' })).toThrow(/values are strings/);
  });

  it('rejects a tracking URI that is not http(s) and a secret written where its variable name belongs', () => {
    expect(RegistrySection.safeParse({ kind: 'mlflow', trackingUri: 'databricks' }).success).toBe(false);
    expect(RegistrySection.safeParse({ kind: 'mlflow', trackingUri: 'http://x:5000', authTokenEnv: 'dapi-123 456' }).success).toBe(false);
  });
});

describe('artifactRoot', () => {
  const run = (artifact_uri: string) => ({ info: { run_id: 'abc', experiment_id: '1', artifact_uri }, data: {} });

  it('maps a proxied artifact URI to its path under the artifact proxy', () => {
    expect(artifactRoot(run('mlflow-artifacts:/1/abc/artifacts'))).toBe('1/abc/artifacts');
    expect(artifactRoot(run('mlflow-artifacts://mlflow.internal:5000/7/abc/artifacts/'))).toBe('7/abc/artifacts');
  });

  it('refuses an artifact location the server does not proxy, saying how to fix it', () => {
    expect(() => artifactRoot(run('s3://bucket/mlruns/1/abc/artifacts'))).toThrow(MlflowConfigurationError);
    expect(() => artifactRoot(run('/srv/mlruns/1/abc/artifacts'))).toThrow(/--artifacts-destination/);
  });
});
