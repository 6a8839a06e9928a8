/**
 * Generators for test/unit/triggers/webhook-fuzz.test.ts: new-data deliveries from a seeded
 * random source, each with what an independent reader of the spec expects of it. Signatures
 * are computed here with node:crypto, not with src/ (a verifier bug must not hide behind the
 * same bug in the signer).
 */
import { createHmac } from 'node:crypto';
import { gcsPushNotification, s3Notification } from './webhook-sender.js';

export type Random = () => number;
export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
export const below = (random: Random, bound: number): number => Math.floor(random() * bound);
const chance = (random: Random, p: number): boolean => random() < p;
/** Seeded, unlike crypto.randomBytes: a failing case must come back on the next run. */
const bytes = (random: Random, length: number): Buffer => Buffer.from(Array.from({ length }, () => below(random, 256)));

export const SW_SECRET = `whsec_${Buffer.from('webhook-fuzz-standard-secret-32b').toString('base64')}`;
export const GH_SECRET = 'webhook-fuzz-github-secret';
export const BODY_LIMIT = 16 * 1024;
export const TOLERANCE_SECONDS = 300;

/**
 * routed: a well-formed event some pipeline wants (202); ignored: well-formed, nobody routes it
 * (200, nothing started); invalid: must be refused (4xx) even when signed; huge: over the body
 * limit (413); unknown: the spec does not decide (anything but a 5xx).
 */
export type Expectation = 'routed' | 'ignored' | 'invalid' | 'huge' | 'unknown';

export interface FuzzBody {
  bytes: Buffer;
  expect: Expectation;
  what: string;
}

/** yes: one valid signature over exactly these bytes, in tolerance; maybe: a valid one is among several sent; no: none. */
export type Signed = 'yes' | 'maybe' | 'no';

export interface FuzzHeaders {
  headers: Record<string, string | string[]>;
  signed: Signed;
  /** Missing or a well-formed media type, whichever: the route takes every body as bytes. (A malformed one may be refused 415.) */
  wellFormedContentType: boolean;
  /** webhook-id, when one was sent. */
  id?: string;
  what: string;
}

const WEIRD_TEXT = ['\u0000', '\u0007', '\u001f', '\u007f', '\u202e', '\u200b', '\ufeff', '💥', 'ß', '中文', '\ud800', '\udfff', '"', '\\', '\n', '%', '+', '/'];
const weird = (random: Random, length: number) => Array.from({ length }, () => pick(random, WEIRD_TEXT)).join('');
/** Spec-valid data version characters. */
const version = (random: Random, n: number) => (chance(random, 0.85) ? `v${n}.${below(random, 1000)}` : pick(random, ['shared-1', 'abc.def_1', 'Z:9=+-']));

function validEvent(random: Random, n: number): { value: unknown; expect: 'routed' | 'ignored'; what: string } {
  const v = version(random, n);
  const name = chance(random, 0.3) ? `${weird(random, 4)}.csv` : `${n}.csv`;
  switch (below(random, 10)) {
    case 0: return { value: { model: 'fraud', dataVersion: v }, expect: 'routed', what: 'direct' };
    case 1: return { value: { model: pick(random, ['fraud', 'churn']), ...(chance(random, 0.5) ? { source: weird(random, 8) } : {}) }, expect: 'routed', what: 'direct, hashed version' };
    case 2: return { value: s3Notification({ bucket: 'landing', encodedKey: `fraud/${encodeS3(name)}`, versionId: v }), expect: 'routed', what: 's3' };
    case 3: return { value: s3Notification({ bucket: 'elsewhere', encodedKey: encodeS3(name), versionId: v }), expect: 'ignored', what: 's3 unrouted' };
    case 4: return { value: s3Notification({ bucket: 'landing', encodedKey: 'fraud/x.csv', versionId: v, eventName: 'ObjectRemoved:Delete' }), expect: 'ignored', what: 's3 delete' };
    case 5: return { value: gcsPushNotification({ bucket: 'landing-eu', name: `fraud/${name}`, generation: String(n + 1) }), expect: 'routed', what: 'gcs' };
    case 6: return { value: gcsPushNotification({ bucket: 'landing-eu', name: 'fraud/x.csv', generation: String(n + 1), eventType: 'OBJECT_DELETE' }), expect: 'ignored', what: 'gcs delete' };
    case 7: return { value: { Type: 'Notification', MessageId: `m${n}`, Message: JSON.stringify(s3Notification({ bucket: 'shared', encodedKey: encodeS3(name), eTag: `"${v}"` })) }, expect: 'routed', what: 'sns' };
    case 8: return { value: { Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'landing' }, expect: 'ignored', what: 's3 test event' };
    default: return { value: s3Notification({ bucket: 'shared', encodedKey: encodeS3(name), sequencer: `00${n.toString(16).toUpperCase()}` }), expect: 'routed', what: 's3 sequencer' };
  }
}

/** S3 encodes keys like a form: '+' for a space. Lone surrogates cannot be encoded and are dropped. */
function encodeS3(key: string): string {
  return encodeURIComponent(key.replace(/[\ud800-\udfff]/g, '')).replace(/%20/g, '+');
}

function deep(depth: number, open: string, close: string): string {
  return `${open.repeat(depth)}${close.repeat(depth)}`;
}

const INVALID_UTF8 = [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80]].map((b) => Buffer.from(b));

export function fuzzBody(random: Random, n: number): FuzzBody {
  const body = anyBody(random, n);
  return body.bytes.length > BODY_LIMIT ? { ...body, expect: 'huge' } : body;
}

function anyBody(random: Random, n: number): FuzzBody {
  const base = validEvent(random, n);
  const text = JSON.stringify(base.value);
  if (chance(random, 0.4)) return { bytes: Buffer.from(text), expect: base.expect, what: base.what };
  const invalid = (body: string | Buffer, what: string): FuzzBody => ({ bytes: Buffer.from(body), expect: 'invalid', what });
  switch (below(random, 15)) {
    case 0: return invalid(text.slice(0, below(random, text.length)), `truncated ${base.what}`);
    case 1: return invalid(pick(random, ['', ' ', 'null', 'true', '42', '"fraud"', 'model=fraud&dataVersion=v1', '<event/>', '{', '}', '{"model":"fraud",}', "{'model':'fraud'}", 'NaN', 'x'.repeat(1 + below(random, 15_000))]), 'not JSON');
    case 2: return invalid(bytes(random, 1 + below(random, 300)), 'binary');
    case 3: return invalid(Buffer.from(text, 'utf16le'), `utf-16 ${base.what}`);
    case 4: return { bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), expect: 'unknown', what: `BOM + ${base.what}` };
    case 5: {
      // Not UTF-8, so not JSON (RFC 8259 §8.1): decoding would swap bytes for U+FFFD behind the signature's back.
      const bad = chance(random, 0.5) ? pick(random, INVALID_UTF8) : Buffer.from('café', 'latin1');
      return invalid(Buffer.concat([Buffer.from(`{"model":"fraud","dataVersion":"v${n}","source":"s3://landing/`), bad, Buffer.from('"}')]), 'invalid UTF-8 in a value');
    }
    case 6: {
      const size = BODY_LIMIT + 1 + below(random, 3 * BODY_LIMIT);
      return { bytes: Buffer.from(`{"model":"fraud","pad":"${'x'.repeat(size)}"}`), expect: 'huge', what: 'over the body limit' };
    }
    case 7: {
      const key = weird(random, 1 + below(random, 12));
      switch (below(random, 5)) {
        case 0: return invalid(JSON.stringify({ model: 'fraud', dataVersion: `v${n}`, [key]: weird(random, 5) }), 'unicode key in a direct event');
        case 1: {
          const event = s3Notification({ bucket: 'landing', encodedKey: `fraud/${n}.csv`, versionId: `v${n}` }) as { Records: Array<Record<string, unknown>> };
          event.Records[0]![key] = weird(random, 20);
          return { bytes: Buffer.from(JSON.stringify(event)), expect: 'routed', what: 'unicode key in an s3 record' };
        }
        case 2: return invalid(JSON.stringify({ model: `fraud${weird(random, chance(random, 0.8) ? 3 : 3000)}` }), 'unicode in model');
        case 3: return invalid(JSON.stringify({ model: 'fraud', dataVersion: `v${weird(random, chance(random, 0.8) ? 3 : 3000)}` }), 'unicode in dataVersion');
        default: return { bytes: Buffer.from(JSON.stringify({ model: 'churn', dataVersion: `v${n}`, source: weird(random, 1 + below(random, 1000)) })), expect: 'routed', what: 'unicode in source' };
      }
    }
    case 8: {
      const depth = 1 + below(random, 5000);
      return invalid(pick(random, [deep(depth, '[', ']'), `{"model":${deep(depth, '[', ']')}}`, `{"Records":[${deep(depth, '{"a":', '}').replace(/:}/, ':1}')}]}`, `{"message":${deep(depth, '{"m":', '}').replace(/:}/, ':1}')}}`, '['.repeat(depth), `${deep(depth, '{"a":', '}')}`]), `nested ${depth}`);
    }
    case 9: return invalid(pick(random, [`[${text}]`, '[]', '[{}]', JSON.stringify({ Records: { s3: {} } }), JSON.stringify({ Records: [[]] }), JSON.stringify({ message: [] }), JSON.stringify({ model: ['fraud'] })]), 'array instead of object');
    case 10: {
      const s3 = (object: Record<string, unknown>) => JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'landing' }, object: { key: 'fraud/k.csv', versionId: 'v1', ...object } } }] });
      return invalid(pick(random, [
        JSON.stringify({ model: 7 }), JSON.stringify({ model: 'fraud', dataVersion: n }), JSON.stringify({ model: 'fraud', source: 1e308 }),
        s3({ key: 5 }), s3({ versionId: 7 }), s3({ size: '1024' }), s3({ eTag: 0 }), JSON.stringify({ Records: [{ eventName: 1, s3: {} }] }),
        JSON.stringify({ message: { attributes: { eventType: 'OBJECT_FINALIZE', bucketId: 'landing-eu', objectId: 'fraud/a', objectGeneration: n } } }),
        JSON.stringify({ Type: 'Notification', Message: { Records: [] } }),
      ]), 'number where a string belongs');
    }
    case 11: {
      const many = Object.fromEntries(Array.from({ length: 1 + below(random, 600) }, (_, i) => [`unknown_field_${i}_${weird(random, 2)}`, i]));
      return invalid(pick(random, [JSON.stringify({ model: 'fraud', ...many }), JSON.stringify({ model: 'fraud', ['k'.repeat(1 + below(random, 12_000))]: 1 })]), 'many or long unknown keys');
    }
    case 12: return invalid(JSON.stringify({ Records: Array.from({ length: 1 + below(random, 400) }, () => ({ eventName: 'ObjectCreated:Put', s3: { bucket: {}, object: { key: '' } } })) }), 'many bad records');
    case 13: return invalid(pick(random, [
      JSON.stringify(s3Notification({ bucket: 'landing', encodedKey: 'fraud/%E0%A4%A.csv', versionId: 'v' })),
      JSON.stringify({ message: { attributes: { eventType: 'OBJECT_FINALIZE', bucketId: 'landing-eu', objectId: 'fraud/a' }, data: '!!!' } }),
      JSON.stringify({ message: { attributes: { eventType: 'OBJECT_FINALIZE', bucketId: 'landing-eu', objectId: 'fraud/a' } } }),
      JSON.stringify({ Type: 'Notification', Message: '{"Records":' }),
      JSON.stringify({ model: 'not-served' }),
    ]), 'bad s3/gcs/sns field');
    default: return { bytes: Buffer.from(pick(random, ['{"__proto__":{"model":"fraud"},"model":"fraud"}', '{"constructor":{"prototype":{}},"model":"fraud"}', '{"model":"fraud","model":"churn"}', '{"Records":null,"model":"fraud"}'])), expect: 'unknown', what: 'prototype and repeated keys' };
  }
}

export function swSignature(secret: string, id: string, timestamp: string, body: Buffer): string {
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret);
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
}

export function ghSignature(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

const USUAL_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain; charset=UTF-8', 'application/cloudevents+json'];
const ODD_TYPES = [undefined, 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=zzz', 'application/json; charset=utf-16', 'application/octet-stream', `application/${'x'.repeat(5000)}`, 'text/html', '*/*', 'application/json;'];
const MALFORMED_TYPES = ['', ';;;', 'json', ' ', `${'x'.repeat(5000)}`];

function mixCase(random: Random, name: string): string {
  return chance(random, 0.8) ? name : [...name].map((c) => (chance(random, 0.5) ? c.toUpperCase() : c)).join('');
}

export function fuzzHeaders(random: Random, n: number, body: Buffer, nowSeconds: number): FuzzHeaders {
  const kind = random();
  const contentType = kind < 0.8 ? pick(random, USUAL_TYPES) : kind < 0.95 ? pick(random, ODD_TYPES) : pick(random, MALFORMED_TYPES);
  const headers: Record<string, string | string[]> = {};
  const set = (name: string, value: string | string[]) => void (headers[mixCase(random, name)] = value);
  if (contentType !== undefined) set('content-type', contentType);
  const result = (signed: Signed, what: string, id?: string): FuzzHeaders => ({ headers, signed, wellFormedContentType: kind < 0.95, what, ...(id ? { id } : {}) });
  const other = Buffer.concat([body, Buffer.from(' ')]);
  const damage = chance(random, 0.5) ? below(random, 12) : -1;

  if (chance(random, 0.05)) return result('no', 'unsigned');
  if (chance(random, 0.6)) {
    const validId = `msg_${n}_${below(random, 1e9)}`;
    const validTimestamp = String(nowSeconds + below(random, 401) - 200);
    let id: string | undefined = validId;
    let timestamp: string | undefined = validTimestamp;
    let signature: string | string[] | undefined = `v1,${swSignature(SW_SECRET, validId, validTimestamp, body)}`;
    let signed: Signed = 'yes';
    let what = 'standard webhooks';
    const sign = (secret: string, i: string, t: string, b: Buffer) => `v1,${swSignature(secret, i, t, b)}`;
    switch (damage) {
      case 0: signature = sign(`whsec_${Buffer.from('another-secret-of-32-bytes-long!').toString('base64')}`, validId, validTimestamp, body); signed = 'no'; what = 'wrong secret'; break;
      case 1: signature = `${pick(random, ['v2', 'v1a', 'V1', 'v1 ', 'sha256', ''])},${swSignature(SW_SECRET, validId, validTimestamp, body)}`; signed = 'no'; what = 'wrong scheme'; break;
      case 2: signature = `v1,${swSignature(SW_SECRET, validId, validTimestamp, body)}`.slice(0, 44 - below(random, 40)); signed = 'no'; what = 'truncated'; break;
      case 3: signature = `v1,${pick(random, [bytes(random, 32).toString('base64'), bytes(random, 1 + below(random, 64)).toString('base64'), '!!!!', '====', weird(random, 10), ''])}`; signed = 'no'; what = 'base64 garbage'; break;
      case 4: {
        const skew = (310 + below(random, 1_000_000)) * (chance(random, 0.5) ? 1 : -1);
        timestamp = String(nowSeconds + skew);
        signature = sign(SW_SECRET, validId, timestamp, body); signed = 'no'; what = `stale by ${skew} s`; break;
      }
      case 5: timestamp = pick(random, ['', '1e9', '-5', `${nowSeconds}.5`, new Date().toISOString(), '9'.repeat(13), ' ', '1'.repeat(5000)]); signature = sign(SW_SECRET, validId, timestamp, body); signed = 'no'; what = 'bad timestamp'; break;
      case 6: signature = sign(SW_SECRET, validId, validTimestamp, other); signed = 'no'; what = 'signature over another body'; break;
      case 7: signature = sign(SW_SECRET, `${validId}x`, validTimestamp, body); signed = 'no'; what = 'signed under another id'; break;
      case 8: {
        const drop = pick(random, ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'empty id', 'empty signature']);
        if (drop === 'empty id') id = '';
        else if (drop === 'empty signature') signature = '';
        else if (drop === 'webhook-id') id = undefined;
        else if (drop === 'webhook-timestamp') timestamp = undefined;
        else signature = undefined;
        signed = 'no'; what = `missing ${drop}`; break;
      }
      case 9: {
        if (chance(random, 0.5)) {
          id = `msg_${n}_${'i'.repeat(257 + below(random, 5000))}`;
          signature = sign(SW_SECRET, id, validTimestamp, body); what = 'very long id';
        } else {
          signature = `v1,${'A'.repeat(1 + below(random, 20_000))}`; what = 'very long signature';
        }
        signed = 'no'; break;
      }
      case 10: {
        const garbage = `v1,${bytes(random, 32).toString('base64')}`;
        const valid = `v1,${swSignature(SW_SECRET, validId, validTimestamp, body)}`;
        signature = chance(random, 0.5) ? [valid, garbage] : [garbage, valid];
        signed = 'maybe'; what = 'duplicated signature headers'; break;
      }
      case 11: if (chance(random, 0.5)) { set('webhook-id', [validId, validId]); id = undefined; signed = 'no'; what = 'duplicated webhook-id'; } else { set('x-hub-signature-256', `sha256=${ghSignature(GH_SECRET, body)}`); signed = 'maybe'; what = 'both schemes, standard one valid'; } break;
    }
    if (id !== undefined) set('webhook-id', id);
    if (timestamp !== undefined) set('webhook-timestamp', timestamp);
    if (signature !== undefined) set('webhook-signature', signature);
    return result(signed, what, id);
  }

  let signature: string | string[] = `sha256=${ghSignature(GH_SECRET, body)}`;
  let signed: Signed = 'yes';
  let what = 'github';
  if (chance(random, 0.7)) set('x-github-delivery', chance(random, 0.95) ? `gh-${n}-${below(random, 1e9)}` : `gh-${n}-${'d'.repeat(300 + below(random, 3000))}`);
  switch (damage) {
    case 0: case 1: signature = `sha256=${ghSignature('not-the-secret', body)}`; signed = 'no'; what = 'wrong secret'; break;
    case 2: signature = `${pick(random, ['sha1', 'SHA256', 'sha512', 'sha-256', ''])}=${ghSignature(GH_SECRET, body)}`; signed = 'no'; what = 'wrong scheme'; break;
    case 3: signature = signature.slice(0, signature.length - 1 - below(random, 60)); signed = 'no'; what = 'truncated'; break;
    case 4: signature = `sha256=${pick(random, [bytes(random, 32).toString('hex'), bytes(random, 32).toString('base64'), 'zz'.repeat(32), weird(random, 8)])}`; signed = 'no'; what = 'garbage'; break;
    case 5: case 6: signature = `sha256=${ghSignature(GH_SECRET, other)}`; signed = 'no'; what = 'signature over another body'; break;
    case 7: signature = ''; signed = 'no'; what = 'empty'; break;
    case 8: signature = `sha256=${'ab'.repeat(1 + below(random, 10_000))}`; signed = 'no'; what = 'very long'; break;
    case 9: signature = [signature, chance(random, 0.5) ? signature : `sha256=${bytes(random, 32).toString('hex')}`]; signed = 'maybe'; what = 'duplicated signature headers'; break;
    case 10: signature = signature.toUpperCase().replace('SHA256=', 'sha256='); what = 'upper-case hex'; break;
    case 11: set('webhook-id', `msg_${n}`); signed = 'maybe'; what = 'both schemes, github one valid'; break;
  }
  set('x-hub-signature-256', signature);
  return result(signed, what);
}

/** A new, validly signed delivery under an id used before: a replay with another body. */
export function sameIdDelivery(random: Random, n: number, id: string, nowSeconds: number): { body: FuzzBody; headers: FuzzHeaders } {
  const bytes = Buffer.from(JSON.stringify({ model: 'fraud', dataVersion: `again-${n}` }));
  const timestamp = String(nowSeconds - below(random, 60));
  const headers = { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${swSignature(SW_SECRET, id, timestamp, bytes)}` };
  return { body: { bytes, expect: 'routed', what: 'new body under a used id' }, headers: { headers, signed: 'yes', wellFormedContentType: true, what: 'standard webhooks, reused id', id } };
}
