/**
 * A tiny Open Inference Protocol model server (node:http) whose answers a test scripts per
 * request: latency, failure, and the probability of each row.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface UpstreamScript {
  /** Called with this upstream's request index (0, 1, ...). */
  latencyMs(index: number): number;
  /** Answer 500 `{ error }` instead of a prediction. */
  fails(index: number): boolean;
  score(index: number, row: number): number;
}

export interface OipUpstream {
  url: string;
  close(): Promise<void>;
}

export async function startOipUpstream(version: number, script: UpstreamScript): Promise<OipUpstream> {
  let served = 0;
  const server: Server = createServer((req, res) => {
    const index = served++;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { inputs?: { shape?: number[] }[] };
      const rows = body.inputs?.[0]?.shape?.[0] ?? 1;
      await sleep(script.latencyMs(index));
      if (script.fails(index)) {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `injected failure of request ${index}` }));
        return;
      }
      const data = Array.from({ length: rows }, (_, row) => script.score(index, row));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        model_name: 'model', model_version: String(version), id: String(index),
        outputs: [{ name: 'probability', datatype: 'FP64', shape: [rows], data }],
      }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
