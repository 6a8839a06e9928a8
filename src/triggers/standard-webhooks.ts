/**
 * Webhook signatures, both ways: Standard Webhooks (https://www.standardwebhooks.com/) and
 * GitHub's `X-Hub-Signature-256`. Used by the new-data hook to verify and by the webhook alert
 * sink to sign. Comparisons are constant-time, after a length check.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Standard Webhooks: reject timestamps further than this from our clock. */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

/** Longer ids are refused: the replay table holds every id for the tolerance window. */
export const MAX_ID_LENGTH = 256;

/** `whsec_<base64>` (the spec's format) is the base64-decoded key; any other string is used as UTF-8 bytes. */
export function signingKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
}

/** The `webhook-signature` header value: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. */
export function signStandardWebhook(secret: string, id: string, timestampSeconds: number, body: string | Buffer): string {
  return `v1,${hmac(secret, id, String(timestampSeconds), body).toString('base64')}`;
}

export interface StandardWebhookHeaders {
  id?: string;
  timestamp?: string;
  signature?: string;
}

export type SignatureCheck =
  | { ok: true }
  | { ok: false; problem: 'missing' | 'malformed' | 'stale' | 'mismatch'; message: string };

export function verifyStandardWebhook(
  secret: string,
  headers: StandardWebhookHeaders,
  body: Buffer,
  options: { nowSeconds: number; toleranceSeconds: number },
): SignatureCheck {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) {
    const missing = [!id && 'webhook-id', !timestamp && 'webhook-timestamp', !signature && 'webhook-signature'].filter(Boolean).join(', ');
    return { ok: false, problem: 'missing', message: `missing header${missing.includes(',') ? 's' : ''} ${missing}` };
  }
  if (id.length > MAX_ID_LENGTH) return { ok: false, problem: 'malformed', message: `webhook-id is longer than ${MAX_ID_LENGTH} characters` };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, problem: 'malformed', message: 'webhook-timestamp must be whole seconds since 1970 (UTC)' };
  const expected = hmac(secret, id, timestamp, body);
  // Several space-separated signatures are allowed (key rotation); one valid v1 is enough.
  const matches = signature.split(' ').some((entry) => {
    const [version, value] = entry.split(',', 2);
    return version === 'v1' && value !== undefined && sameBytes(Buffer.from(value, 'base64'), expected);
  });
  if (!matches) return { ok: false, problem: 'mismatch', message: 'bad signature: webhook-signature does not match the body signed with the configured secret' };
  const skew = options.nowSeconds - Number(timestamp);
  if (Math.abs(skew) > options.toleranceSeconds) {
    const when = skew > 0 ? `${skew} s old` : `${-skew} s in the future`;
    return { ok: false, problem: 'stale', message: `stale timestamp: webhook-timestamp is ${when}; the tolerance is ±${options.toleranceSeconds} s (check the sender's clock)` };
  }
  return { ok: true };
}

/** GitHub style: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`. */
export function signGithubStyle(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function verifyGithubStyle(secret: string, header: string | undefined, body: Buffer): SignatureCheck {
  if (!header) return { ok: false, problem: 'missing', message: 'missing header X-Hub-Signature-256' };
  const match = /^sha256=([0-9a-fA-F]+)$/.exec(header.trim());
  if (!match) return { ok: false, problem: 'malformed', message: 'X-Hub-Signature-256 must be sha256=<hex>' };
  const expected = createHmac('sha256', secret).update(body).digest();
  if (!sameBytes(Buffer.from(match[1]!, 'hex'), expected)) {
    return { ok: false, problem: 'mismatch', message: 'bad signature: X-Hub-Signature-256 does not match the body signed with the configured secret' };
  }
  return { ok: true };
}

function hmac(secret: string, id: string, timestamp: string, body: string | Buffer): Buffer {
  return createHmac('sha256', signingKey(secret)).update(`${id}.${timestamp}.`).update(body).digest();
}

/** timingSafeEqual throws on different lengths, and a length difference says nothing secret. */
function sameBytes(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}
