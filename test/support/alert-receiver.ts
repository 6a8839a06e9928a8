/**
 * Local stand-ins for PagerDuty's Events API v2, a Slack incoming webhook and a generic signed
 * webhook, on free loopback ports. The real services cannot be reached from the test machines,
 * so each receiver checks what it gets against the DOCUMENTED schema, strictly (zod strict
 * objects, documented limits), and answers the way the service documents:
 * - PagerDuty (https://developer.pagerduty.com/api-reference/YXBpOjI3NDgyNjU-pager-duty-v2-events-api):
 *   POST /v2/enqueue; routing_key 32 characters; event_action trigger|acknowledge|resolve;
 *   dedup_key ≤ 255 (required to acknowledge or resolve); a trigger needs payload with summary
 *   (≤ 1024), source, severity (critical|error|warning|info), optional ISO 8601 timestamp,
 *   component, group, class, custom_details. 202 {status: "success", dedup_key}; else 400
 *   {status: "invalid event", errors}.
 * - Slack (https://api.slack.com/messaging/webhooks): POST {text, blocks} with Block Kit limits;
 *   200 "ok"; else 400 "invalid_payload".
 * - Generic webhook: verifies the Standard Webhooks signature with its own HMAC code (not ours).
 * Tests script failures with `answerNext` (500, 429 + Retry-After, Slack's error codes).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  json?: unknown;
  /** Why the receiver found the request invalid; empty when it passed the schema check. */
  problems: string[];
  /** What the receiver answered. */
  status: number;
}

export interface ScriptedAnswer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export interface AlertReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** Valid requests only (passed the schema check and were accepted). */
  accepted(): ReceivedRequest[];
  /** The next requests get these answers, in order, instead of the service's normal one. */
  answerNext(...answers: ScriptedAnswer[]): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- PagerDuty Events API v2

const PagerDutyPayload = z.strictObject({
  summary: z.string().min(1).max(1024),
  source: z.string().min(1),
  severity: z.enum(['critical', 'error', 'warning', 'info']),
  timestamp: z.iso.datetime({ offset: true }).optional(),
  component: z.string().optional(),
  group: z.string().optional(),
  class: z.string().optional(),
  custom_details: z.record(z.string(), z.unknown()).optional(),
});

export const PagerDutyEvent = z
  .strictObject({
    routing_key: z.string().length(32),
    event_action: z.enum(['trigger', 'acknowledge', 'resolve']),
    dedup_key: z.string().min(1).max(255).optional(),
    payload: PagerDutyPayload.optional(),
    client: z.string().optional(),
    client_url: z.url().optional(),
    links: z.array(z.strictObject({ href: z.url(), text: z.string().optional() })).optional(),
    images: z.array(z.strictObject({ src: z.url(), href: z.url().optional(), alt: z.string().optional() })).optional(),
  })
  .check((ctx) => {
    const event = ctx.value;
    if (event.event_action === 'trigger' && !event.payload) ctx.issues.push({ code: 'custom', input: event, path: ['payload'], message: 'payload is required to trigger' });
    if (event.event_action !== 'trigger' && !event.dedup_key) ctx.issues.push({ code: 'custom', input: event, path: ['dedup_key'], message: `dedup_key is required to ${event.event_action}` });
  });
export type PagerDutyEvent = z.infer<typeof PagerDutyEvent>;

export function startPagerDutyReceiver(): Promise<AlertReceiver> {
  return startReceiver((request) => {
    if (request.method !== 'POST' || request.path !== '/v2/enqueue') return { status: 404, body: JSON.stringify({ status: 'not found' }) };
    const parsed = PagerDutyEvent.safeParse(request.json);
    if (!parsed.success) {
      request.problems.push(...issues(parsed.error));
      return { status: 400, body: JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors: request.problems }) };
    }
    return { status: 202, body: JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: parsed.data.dedup_key ?? 'generated' }) };
  });
}

// ---------------------------------------------------------------- Slack incoming webhook (Block Kit)

const TextObject = (max: number) => z.strictObject({ type: z.enum(['mrkdwn', 'plain_text']), text: z.string().min(1).max(max), emoji: z.boolean().optional(), verbatim: z.boolean().optional() });
const SlackBlock = z.discriminatedUnion('type', [
  z
    .strictObject({ type: z.literal('section'), text: TextObject(3000).optional(), fields: z.array(TextObject(2000)).min(1).max(10).optional(), block_id: z.string().max(255).optional() })
    .refine((block) => block.text !== undefined || block.fields !== undefined, { message: 'a section needs text or fields' }),
  z.strictObject({ type: z.literal('context'), elements: z.array(TextObject(3000)).min(1).max(10), block_id: z.string().max(255).optional() }),
  z.strictObject({ type: z.literal('header'), text: z.strictObject({ type: z.literal('plain_text'), text: z.string().min(1).max(150), emoji: z.boolean().optional() }), block_id: z.string().max(255).optional() }),
  z.strictObject({ type: z.literal('divider'), block_id: z.string().max(255).optional() }),
]);

export const SlackMessage = z.strictObject({
  text: z.string().min(1),
  blocks: z.array(SlackBlock).min(1).max(50),
  mrkdwn: z.boolean().optional(),
  thread_ts: z.string().optional(),
  unfurl_links: z.boolean().optional(),
  unfurl_media: z.boolean().optional(),
});

export function startSlackReceiver(): Promise<AlertReceiver> {
  return startReceiver((request) => {
    if (request.method !== 'POST' || !request.path.startsWith('/services/')) return { status: 404, body: 'no_service' };
    const parsed = SlackMessage.safeParse(request.json);
    if (!parsed.success) {
      request.problems.push(...issues(parsed.error));
      return { status: 400, body: 'invalid_payload' };
    }
    return { status: 200, body: 'ok' };
  });
}

// ---------------------------------------------------------------- generic webhook, Standard Webhooks signature

const WebhookAlertMessage = z.strictObject({
  type: z.enum(['alert.trigger', 'alert.resolve']),
  timestamp: z.iso.datetime({ offset: true }),
  data: z.looseObject({ dedupKey: z.string().min(1), severity: z.enum(['critical', 'error', 'warning', 'info']), summary: z.string(), model: z.string(), kind: z.string() }),
});

/** Without a secret, any well-formed message is accepted; with one, the signature must verify. */
export function startWebhookReceiver(options: { secret?: string } = {}): Promise<AlertReceiver> {
  return startReceiver((request) => {
    if (options.secret !== undefined) {
      const problem = signatureProblem(options.secret, request);
      if (problem) {
        request.problems.push(problem);
        return { status: 401, body: JSON.stringify({ error: problem }) };
      }
    }
    const parsed = WebhookAlertMessage.safeParse(request.json);
    if (!parsed.success) {
      request.problems.push(...issues(parsed.error));
      return { status: 400, body: JSON.stringify({ error: request.problems.join('; ') }) };
    }
    return { status: 204 };
  });
}

/** Independent of src/: the Standard Webhooks rules written out again. */
function signatureProblem(secret: string, request: ReceivedRequest): string | undefined {
  const id = request.headers['webhook-id'];
  const timestamp = request.headers['webhook-timestamp'];
  const signature = request.headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signature !== 'string') return 'missing webhook-id, webhook-timestamp or webhook-signature';
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return 'timestamp outside ±5 minutes';
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret);
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${request.raw}`).digest();
  const ok = signature.split(' ').some((part) => {
    const given = Buffer.from(part.replace(/^v1,/, ''), 'base64');
    return part.startsWith('v1,') && given.length === expected.length && timingSafeEqual(given, expected);
  });
  return ok ? undefined : 'signature does not verify';
}

// ---------------------------------------------------------------- shared server

function startReceiver(handle: (request: ReceivedRequest) => ScriptedAnswer): Promise<AlertReceiver> {
  const requests: ReceivedRequest[] = [];
  const script: ScriptedAnswer[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const request: ReceivedRequest = { method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0]!, headers: req.headers, raw, problems: [], status: 0 };
      try {
        request.json = JSON.parse(raw);
      } catch {
        request.problems.push('body is not JSON');
      }
      if (req.headers['content-type'] !== 'application/json') request.problems.push(`content-type is ${String(req.headers['content-type'])}, not application/json`);
      requests.push(request);
      const answer = script.shift() ?? (request.problems.length > 0 ? { status: 400, body: 'invalid_payload' } : handle(request));
      request.status = answer.status;
      reply(res, answer);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        requests,
        accepted: () => requests.filter((r) => r.problems.length === 0 && r.status >= 200 && r.status < 300),
        answerNext: (...answers) => void script.push(...answers),
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

function reply(res: ServerResponse, answer: ScriptedAnswer): void {
  res.writeHead(answer.status, { 'content-type': answer.body?.startsWith('{') ? 'application/json' : 'text/plain', ...answer.headers });
  res.end(answer.body ?? '');
}

function issues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
}
