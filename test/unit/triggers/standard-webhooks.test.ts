import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signGithubStyle, signStandardWebhook, verifyGithubStyle, verifyStandardWebhook } from '../../../src/triggers/standard-webhooks.js';

// The example of the Standard Webhooks specification's reference libraries.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TIMESTAMP = 1614265330;
const BODY = '{"test": 2432232314}';
const EXPECTED = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

describe('Standard Webhooks signatures', () => {
  it('signs the specification example exactly', () => {
    expect(signStandardWebhook(SECRET, ID, TIMESTAMP, BODY)).toBe(EXPECTED);
  });

  const verify = (signature: string, options: { now?: number; id?: string; body?: string } = {}) =>
    verifyStandardWebhook(SECRET, { id: options.id ?? ID, timestamp: String(TIMESTAMP), signature }, Buffer.from(options.body ?? BODY), { nowSeconds: options.now ?? TIMESTAMP + 10, toleranceSeconds: 300 });

  it('verifies it, also among several space-separated signatures (key rotation)', () => {
    expect(verify(EXPECTED)).toEqual({ ok: true });
    expect(verify(`v1,Zm9v ${EXPECTED}`)).toEqual({ ok: true });
    expect(verify(`v1a,${EXPECTED.slice(3)}`)).toMatchObject({ ok: false, problem: 'mismatch' });
  });

  it('refuses another body, another id, a truncated signature', () => {
    expect(verify(EXPECTED, { body: '{"test": 2432232315}' })).toMatchObject({ ok: false, problem: 'mismatch' });
    expect(verify(EXPECTED, { id: 'msg_other' })).toMatchObject({ ok: false, problem: 'mismatch' });
    expect(verify(EXPECTED.slice(0, 20))).toMatchObject({ ok: false, problem: 'mismatch' });
  });

  it('refuses timestamps outside ±5 minutes, but not at the edge', () => {
    expect(verify(EXPECTED, { now: TIMESTAMP + 300 })).toEqual({ ok: true });
    expect(verify(EXPECTED, { now: TIMESTAMP + 301 })).toMatchObject({ ok: false, problem: 'stale', message: expect.stringContaining('301 s old') });
    expect(verify(EXPECTED, { now: TIMESTAMP - 301 })).toMatchObject({ ok: false, problem: 'stale', message: expect.stringContaining('301 s in the future') });
  });

  it('names missing and malformed headers', () => {
    expect(verifyStandardWebhook(SECRET, { id: ID }, Buffer.from(BODY), { nowSeconds: TIMESTAMP, toleranceSeconds: 300 })).toEqual({ ok: false, problem: 'missing', message: 'missing headers webhook-timestamp, webhook-signature' });
    expect(verifyStandardWebhook(SECRET, { id: ID, timestamp: '2021-02-25', signature: EXPECTED }, Buffer.from(BODY), { nowSeconds: TIMESTAMP, toleranceSeconds: 300 })).toMatchObject({ problem: 'malformed' });
    expect(verifyStandardWebhook(SECRET, { id: 'x'.repeat(257), timestamp: String(TIMESTAMP), signature: EXPECTED }, Buffer.from(BODY), { nowSeconds: TIMESTAMP, toleranceSeconds: 300 })).toMatchObject({ problem: 'malformed' });
  });
});

describe('GitHub-style X-Hub-Signature-256', () => {
  it('is sha256=<hex HMAC of the raw body>', () => {
    expect(signGithubStyle('It\'s a Secret to Everybody', 'Hello, World!')).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
    const header = `sha256=${createHmac('sha256', 's3cret').update(BODY).digest('hex')}`;
    expect(verifyGithubStyle('s3cret', header, Buffer.from(BODY))).toEqual({ ok: true });
    expect(verifyGithubStyle('s3cret', header, Buffer.from(`${BODY} `))).toMatchObject({ ok: false, problem: 'mismatch' });
    expect(verifyGithubStyle('s3cret', 'sha1=abc', Buffer.from(BODY))).toMatchObject({ ok: false, problem: 'malformed' });
  });
});
