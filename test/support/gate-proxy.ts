/**
 * A reverse proxy in front of the real gateway that can hold requests at a gate, so a test can
 * make a measurement slow at a chosen moment (a metrics backend under load) and act while it is
 * in flight. Everything else is forwarded unchanged.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GateProxy {
  url: string;
  /** From now on, requests for which `match` is true wait at the gate until open() is called. */
  closeGate(match: (method: string, path: string) => boolean): void;
  /** Resolves once at least one request waits at the gate. */
  waitForHeld(): Promise<void>;
  /** Lets every held request (and all later ones) through. */
  open(): void;
  close(): Promise<void>;
}

export async function startGateProxy(upstream: string): Promise<GateProxy> {
  const target = new URL(upstream);
  let gate: ((method: string, path: string) => boolean) | undefined;
  let held: Array<() => void> = [];
  let heldWaiters: Array<() => void> = [];

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const upstreamRequest = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstreamRequest.on('error', (err) => res.writeHead(502).end(String(err)));
    req.pipe(upstreamRequest);
  };

  const server = createServer((req, res) => {
    if (gate?.(req.method!, req.url!.split('?')[0]!)) {
      req.pause();
      held.push(() => {
        req.resume();
        forward(req, res);
      });
      for (const wake of heldWaiters) wake();
      heldWaiters = [];
      return;
    }
    forward(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const proxy: GateProxy = {
    url: `http://127.0.0.1:${port}`,
    closeGate(match) {
      gate = match;
    },
    waitForHeld() {
      return held.length > 0 ? Promise.resolve() : new Promise((resolve) => heldWaiters.push(resolve));
    },
    open() {
      gate = undefined;
      const waiting = held;
      held = [];
      for (const release of waiting) release();
    },
    async close() {
      proxy.open();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
