import { describe, expect, it } from 'vitest';
import type { ServedPipeline } from '../../../src/triggers/api-config.js';
import { dataVersionKey, parseNewDataEvent, routeNewDataEvent } from '../../../src/triggers/new-data-event.js';
import { gcsPushNotification, s3Notification } from '../../support/webhook-sender.js';

const fraud: ServedPipeline = { file: '/p/fraud.yaml', model: 'fraud', dataSource: '/p/fraud.csv', objects: [{ store: 's3', bucket: 'landing', prefix: 'fraud/' }, { bucket: 'both', prefix: '' }] };
const churn: ServedPipeline = {
  file: '/p/churn.yaml', model: 'churn', dataSource: '/p/churn.csv', objects: [{ store: 'gcs', bucket: 'landing', prefix: 'churn/' }],
  storage: { url: 's3://landing/mlops', endpoint: 'https://storage.googleapis.com' },
};
const pipelines = [fraud, churn];

describe('new-data events', () => {
  it('decodes S3 keys (URL-encoded, + for a space) before matching prefixes', () => {
    const event = parseNewDataEvent(s3Notification({ bucket: 'landing', encodedKey: 'fraud/Day+1/a%2Bb%20c.csv', versionId: 'v9' }));
    expect(event).toEqual({ kind: 'objects', notices: [{ store: 's3', bucket: 'landing', key: 'fraud/Day 1/a+b c.csv', dataVersion: 'v9', versionId: 'v9' }], ignored: [] });
  });

  it('turns an S3 record into a run on exactly that object and version, versioned later by its bytes (not by the event)', () => {
    const event = parseNewDataEvent(s3Notification({ bucket: 'landing', encodedKey: 'fraud/Day+1/a%2Bb%20c.csv', versionId: 'v9', eTag: 'e1' }));
    expect(routeNewDataEvent(event, pipelines).runs).toEqual([
      { pipeline: fraud, object: { bucket: 'landing', key: 'fraud/Day 1/a+b c.csv', versionId: 'v9' }, origin: 's3://landing/fraud/Day 1/a+b c.csv (version v9)' },
    ]);
    const unversioned = parseNewDataEvent(s3Notification({ bucket: 'landing', encodedKey: 'fraud/x.csv', eTag: 'e2' }));
    expect(routeNewDataEvent(unversioned, pipelines).runs).toEqual([{ pipeline: fraud, object: { bucket: 'landing', key: 'fraud/x.csv' }, origin: 's3://landing/fraud/x.csv' }]);
  });

  it('keeps stores apart: a GCS bucket named like an S3 route does not match it', () => {
    const event = parseNewDataEvent(gcsPushNotification({ bucket: 'landing', name: 'fraud/x.csv', generation: '5' }));
    expect(routeNewDataEvent(event, pipelines)).toEqual({ runs: [], ignored: ['gs://landing/fraud/x.csv: no pipeline routes this bucket and prefix'] });
    const churnEvent = parseNewDataEvent(gcsPushNotification({ bucket: 'landing', name: 'churn/x.csv', generation: '6' }));
    expect(routeNewDataEvent(churnEvent, pipelines).runs.map((r) => r.pipeline.model)).toEqual(['churn']);
  });

  it('turns a GCS OBJECT_FINALIZE into a run on exactly that object and generation, versioned later by its bytes', () => {
    const event = parseNewDataEvent(gcsPushNotification({ bucket: 'landing', name: 'churn/2026-12-04.csv', generation: '1764806400123456' }));
    expect(routeNewDataEvent(event, pipelines).runs).toEqual([
      { pipeline: churn, object: { bucket: 'landing', key: 'churn/2026-12-04.csv', generation: '1764806400123456' }, origin: 'gs://landing/churn/2026-12-04.csv (generation 1764806400123456)' },
    ]);
  });

  it('unwraps an SNS notification and ignores the S3 test event', () => {
    const sns = { Type: 'Notification', MessageId: 'x', TopicArn: 'arn:aws:sns:eu-west-1:1:t', Message: JSON.stringify(s3Notification({ bucket: 'both', encodedKey: 'k.csv', eTag: 'abc' })) };
    expect(routeNewDataEvent(parseNewDataEvent(sns), pipelines).runs.map((r) => r.object)).toEqual([{ bucket: 'both', key: 'k.csv' }]);
    expect(parseNewDataEvent({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'landing' })).toEqual({ kind: 'objects', notices: [], ignored: ['s3:TestEvent'] });
  });

  it('names the field of a bad event', () => {
    expect(() => parseNewDataEvent({ Records: [] })).toThrow('invalid S3 event: Records: Too small: expected array to have >=1 items');
    expect(() => parseNewDataEvent(s3Notification({ bucket: 'landing', encodedKey: 'fraud/%E0%A4%A.csv', versionId: 'v' }))).toThrow('Records[0].s3.object.key: not a URL-encoded key');
    expect(() => parseNewDataEvent({ message: { attributes: { eventType: 'OBJECT_FINALIZE', bucketId: 'b', objectId: 'o' }, data: Buffer.from('{').toString('base64') } })).toThrow('message.data: expected base64 of the object resource (JSON)');
    expect(() => parseNewDataEvent([1])).toThrow('expected a JSON object');
  });

  it('makes data versions safe for workflow ids', () => {
    expect(dataVersionKey('"d41d8cd98f00b204e9800998ecf8427e"')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(dataVersionKey('a/b c')).toBe('a_b_c');
    expect(dataVersionKey('x'.repeat(300))).toHaveLength(128);
  });

  // Found by test/unit/triggers/webhook-fuzz.test.ts ("many or long unknown keys"): the 400 listed every key in full.
  it('keeps the error short whatever the number and length of unknown keys and bad records', () => {
    const many = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`unknown_field_${i}`, i]));
    expect(() => parseNewDataEvent({ model: 'fraud', ...many })).toThrow('invalid new-data event: (root): unknown field(s) unknown_field_0, unknown_field_1, unknown_field_2, unknown_field_3, unknown_field_4, and 595 more');
    const messageOf = (body: unknown) => {
      try {
        parseNewDataEvent(body);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('expected a refusal');
    };
    expect(messageOf({ model: 'fraud', ['k'.repeat(12_000)]: 1 }).length).toBeLessThan(200);
    const records = messageOf({ Records: Array.from({ length: 400 }, () => ({ eventName: 'ObjectCreated:Put', s3: { bucket: {}, object: { key: '' } } })) });
    expect(records).toMatch(/^invalid S3 event: Records\[0\]\.s3\.bucket\.name: required; .* and 795 more$/);
    expect(records.length).toBeLessThan(1024);
  });

  it('starts one run per pipeline and version even when a record repeats', () => {
    const one = s3Notification({ bucket: 'both', encodedKey: 'k.csv', versionId: 'v1' }) as { Records: unknown[] };
    const other = s3Notification({ bucket: 'both', encodedKey: 'k.csv', versionId: 'v2' }) as { Records: unknown[] };
    const event = parseNewDataEvent({ Records: [...one.Records, ...one.Records, ...other.Records] });
    expect(routeNewDataEvent(event, pipelines).runs.map((r) => r.object?.versionId)).toEqual(['v1', 'v2']);
  });
});
