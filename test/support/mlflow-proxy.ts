/**
 * A reverse proxy in front of a real MLflow server, for what MLflow alone cannot show:
 * - auth: it answers 401 UNAUTHENTICATED (MLflow's body) unless the request carries the
 *   expected headers, as an MLflow behind an auth gateway does;
 * - a crash mid-call: it forwards one chosen request to MLflow (which does the work) and then
 *   holds the answer back, so a test can kill the caller after MLflow acted but before the
 *   caller heard of it.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MlflowProxyOptions {
  /** Header name (lower case) → required value; anything else is answered 401. */
  requireHeaders?: Record<string, string>;
}

export interface HeldCall {
  /** Resolves once MLflow has answered the held request (the work is done on the server). */
  upstreamAnswered: Promise<void>;
  /** Ends the held exchange by dropping the caller's connection. */
  drop(): void;
}

export interface MlflowProxy {
  url: string;
  /** Headers of every request seen, in order, with method and path. */
  seen: { method: string; path: string; headers: IncomingMessage['headers'] }[];
  /** Holds the answer of the next request whose path ends with `pathSuffix` (e.g. `model-versions/create`). */
  holdNext(method: string, pathSuffix: string): HeldCall;
  close(): Promise<void>;
}

export async function startMlflowProxy(upstream: string, options: MlflowProxyOptions = {}): Promise<MlflowProxy> {
  const target = new URL(upstream);
  const seen: MlflowProxy['seen'] = [];
  let hold: { method: string; pathSuffix: string; answered: () => void; held?: ServerResponse } | undefined;

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const pathOnly = req.url!.split('?')[0]!;
    seen.push({ method: req.method!, path: pathOnly, headers: req.headers });
    for (const [name, value] of Object.entries(options.requireHeaders ?? {})) {
      if (req.headers[name] !== value) {
        req.resume();
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error_code: 'UNAUTHENTICATED', message: `missing or wrong ${name} header` }));
        return;
      }
    }
    const holding = hold !== undefined && hold.held === undefined && req.method === hold.method && pathOnly.endsWith(hold.pathSuffix) ? hold : undefined;
    const headers = { ...req.headers, host: target.host };
    const forward = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (answer) => {
      if (holding !== undefined) {
        holding.held = res;
        answer.resume();
        answer.on('end', () => holding.answered());
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    holdNext(method, pathSuffix) {
      let answered!: () => void;
      const upstreamAnswered = new Promise<void>((resolve) => (answered = resolve));
      const entry: NonNullable<typeof hold> = { method, pathSuffix, answered };
      hold = entry;
      return {
        upstreamAnswered,
        drop: () => {
          entry.held?.socket?.destroy();
          if (hold === entry) hold = undefined;
        },
      };
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
