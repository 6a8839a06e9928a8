/**
 * A local stand-in for PagerDuty's Events API v2, for the demo (PagerDuty cannot be reached from
 * here). It checks every event against the documented schema and prints one line per event.
 *   npx tsx scripts/pagerduty-receiver.ts [port]      then MLOPS_PAGERDUTY_EVENTS_URL=http://127.0.0.1:<port>
 */
import { createServer } from 'node:http';
import { PagerDutyEvent } from '../test/support/alert-receiver.js';

const port = Number(process.argv[2] ?? 8099);
createServer((request, response) => {
  let body = '';
  request.on('data', (chunk: Buffer) => (body += chunk.toString()));
  request.on('end', () => {
    let parsed;
    try {
      parsed = PagerDutyEvent.safeParse(JSON.parse(body));
    } catch {
      response.writeHead(400, { 'content-type': 'application/json' }).end('{"status":"invalid event","message":"Event object is invalid","errors":["not JSON"]}');
      return;
    }
    if (request.url !== '/v2/enqueue' || !parsed.success) {
      console.log(`pagerduty: REJECTED ${request.url}: ${parsed.success ? 'wrong path' : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      response.writeHead(400, { 'content-type': 'application/json' }).end('{"status":"invalid event","message":"Event object is invalid"}');
      return;
    }
    const event = parsed.data;
    console.log(`pagerduty: ${event.event_action} ${event.dedup_key ?? ''} [${event.payload?.severity ?? ''}] ${event.payload?.summary ?? ''}`);
    response.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: event.dedup_key }));
  });
}).listen(port, '127.0.0.1', () => console.log(`pagerduty: receiver on http://127.0.0.1:${port}`));
