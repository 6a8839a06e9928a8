/**
 * Builds deliveries for the new-data webhook the way real senders do: Standard Webhooks and
 * GitHub signatures written out here independently of src/ (so a bug in our verifier cannot
 * hide behind the same bug in the signer), and S3 / GCS notification bodies as the services
 * document them.
 */
import { createHmac, randomUUID } from 'node:crypto';

export interface Delivery {
  headers: Record<string, string>;
  body: string;
}

export function standardWebhookDelivery(secret: string, payload: unknown, options: { id?: string; timestampSeconds?: number; raw?: string } = {}): Delivery {
  const body = options.raw ?? JSON.stringify(payload);
  const id = options.id ?? `msg_${randomUUID()}`;
  const timestamp = String(options.timestampSeconds ?? Math.floor(Date.now() / 1000));
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` }, body };
}

export function githubDelivery(secret: string, payload: unknown, options: { deliveryId?: string } = {}): Delivery {
  const body = JSON.stringify(payload);
  return {
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
      'x-github-delivery': options.deliveryId ?? randomUUID(),
    },
    body,
  };
}

export async function send(baseUrl: string, delivery: Delivery): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}/hooks/new-data`, { method: 'POST', headers: delivery.headers, body: delivery.body });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** An S3 event notification (version 2.1) with one record; `key` is given URL-encoded, as S3 sends it. */
export function s3Notification(record: { bucket: string; encodedKey: string; versionId?: string; eTag?: string; sequencer?: string; eventName?: string; size?: number }): unknown {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'eu-west-1',
        eventTime: new Date().toISOString(),
        eventName: record.eventName ?? 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
        requestParameters: { sourceIPAddress: '203.0.113.7' },
        responseElements: { 'x-amz-request-id': 'C3D13FE58DE4C810', 'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'new-data',
          bucket: { name: record.bucket, ownerIdentity: { principalId: 'A3NL1KOZZKExample' }, arn: `arn:aws:s3:::${record.bucket}` },
          object: {
            key: record.encodedKey,
            size: record.size ?? 1024,
            ...(record.eTag !== undefined ? { eTag: record.eTag } : {}),
            ...(record.versionId !== undefined ? { versionId: record.versionId } : {}),
            sequencer: record.sequencer ?? '0055AED6DCD90281E5',
          },
        },
      },
    ],
  };
}

/** A Pub/Sub push delivery of a Cloud Storage notification (payload format JSON_API_V1). */
export function gcsPushNotification(object: { bucket: string; name: string; generation: string; eventType?: string; size?: unknown; md5Hash?: string }): unknown {
  const resource = {
    kind: 'storage#object',
    id: `${object.bucket}/${object.name}/${object.generation}`,
    name: object.name,
    bucket: object.bucket,
    generation: object.generation,
    metageneration: '1',
    contentType: 'text/csv',
    timeCreated: new Date().toISOString(),
    size: object.size ?? '1024',
    md5Hash: object.md5Hash ?? 'XrY7u+Ae7tCTyyK7j1rNww==',
    crc32c: 'AAAAAA==',
  };
  return {
    message: {
      attributes: {
        bucketId: object.bucket,
        objectId: object.name,
        objectGeneration: object.generation,
        eventType: object.eventType ?? 'OBJECT_FINALIZE',
        eventTime: new Date().toISOString(),
        notificationConfig: `projects/_/buckets/${object.bucket}/notificationConfigs/1`,
        payloadFormat: 'JSON_API_V1',
      },
      data: Buffer.from(JSON.stringify(resource)).toString('base64'),
      messageId: '2070443601311540',
      publishTime: new Date().toISOString(),
    },
    subscription: 'projects/demo/subscriptions/new-data',
  };
}
