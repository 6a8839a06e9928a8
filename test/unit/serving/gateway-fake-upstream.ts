/**
 * A tiny Open Inference Protocol server for gateway tests: answers `infer` with one
 * `probability` per row, and can be told to be slow, to fail, or to advance a fake clock.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUpstreamBehaviour {
  /** Probability for a row given its feature values by input name (default 0.25). */
  score?: (row: Record<string, unknown>) => number;
  /** Status to answer with instead of a prediction (e.g. 500). */
  failWith?: number;
  /** Called before answering; may return a delay in ms (real time). */
  beforeAnswer?: (body: unknown) => number | void;
}

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeUpstream {
  url: string;
  received: ReceivedRequest[];
  behaviour: FakeUpstreamBehaviour;
  close(): Promise<void>;
}

export async function startFakeUpstream(version: number, behaviour: FakeUpstreamBehaviour = {}): Promise<FakeUpstream> {
  const received: ReceivedRequest[] = [];
  const fake = { behaviour } as FakeUpstream;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ path: request.url ?? '', headers: request.headers, body });
      const match = /^\/v2\/models\/([^/]+)\/infer$/.exec(request.url ?? '');
      const answer = (status: number, payload: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(payload));
      };
      if (request.method !== 'POST' || !match) return answer(404, { error: `no route ${request.url}` });
      let parsed: { id?: string; inputs: { name: string; shape: number[]; data: unknown[] }[] };
      try {
        parsed = JSON.parse(body);
      } catch {
        return answer(400, { error: 'body is not JSON' });
      }
      const delay = fake.behaviour.beforeAnswer?.(parsed) ?? 0;
      const reply = () => {
        if (fake.behaviour.failWith) return answer(fake.behaviour.failWith, { error: `version ${version} failed on purpose` });
        const rows = parsed.inputs[0]?.shape[0] ?? 1;
        const data = Array.from({ length: rows }, (_, row) => {
          const features = Object.fromEntries(parsed.inputs.map((input) => [input.name, input.data[row]]));
          return fake.behaviour.score?.(features) ?? 0.25;
        });
        answer(200, { model_name: decodeURIComponent(match[1]!), model_version: String(version), id: parsed.id ?? '', outputs: [{ name: 'probability', shape: [rows], datatype: 'FP64', data }] });
      };
      if (delay > 0) setTimeout(reply, delay);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.received = received;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

/** An OIP request body with one input per feature, one value per row. */
export function inferBody(rows: Record<string, number | string | boolean>[], id?: string): string {
  const names = Object.keys(rows[0] ?? {});
  const datatype = (value: unknown) => (typeof value === 'number' ? 'FP64' : typeof value === 'boolean' ? 'BOOL' : 'BYTES');
  return JSON.stringify({
    ...(id ? { id } : {}),
    inputs: names.map((name) => ({ name, shape: [rows.length], datatype: datatype(rows[0]![name]), data: rows.map((row) => row[name]) })),
  });
}
