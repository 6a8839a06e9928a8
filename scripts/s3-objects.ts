/**
 * For the cluster demo, where new data "lands" in the object store and there is no AWS CLI:
 *   tsx scripts/s3-objects.ts put <file> s3://bucket/key    uploads one file
 *   tsx scripts/s3-objects.ts count s3://bucket[/prefix]    objects per prefix (3 levels; sha256/ as one)
 * The S3 server is the one the environment names (MLOPS_S3_ENDPOINT, path-style); credentials
 * come from the AWS SDK chain.
 */
import { readFile } from 'node:fs/promises';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const [command, ...rest] = process.argv.slice(2);
const client = new S3Client({ endpoint: process.env.MLOPS_S3_ENDPOINT, region: process.env.AWS_REGION ?? 'us-east-1', forcePathStyle: true });
const parse = (url: string | undefined) => (url ? /^s3:\/\/([^/]+)\/?(.*)$/.exec(url) : null);

if (command === 'put' && rest.length === 2 && parse(rest[1])?.[2]) {
  const [, bucket, key] = parse(rest[1])!;
  const answer = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await readFile(rest[0]!) }));
  console.log(`put ${rest[1]}${answer.VersionId ? ` (version ${answer.VersionId})` : ''}`);
} else if (command === 'count' && rest.length === 1 && parse(rest[0])) {
  const [, bucket, prefix] = parse(rest[0])!;
  const counts = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      // Three levels (pipelines/logs/predictions), but content-addressed keys grouped as one.
      const parts = object.Key!.split('/').slice(0, 3);
      const top = (parts[1] === 'sha256' ? parts.slice(0, 2) : parts).join('/');
      counts.set(top, (counts.get(top) ?? 0) + 1);
    }
    token = page.NextContinuationToken;
  } while (token);
  for (const [top, count] of [...counts].sort()) console.log(`  s3://${bucket}/${top}/…: ${count} objects`);
} else {
  console.error('usage: tsx scripts/s3-objects.ts put <file> s3://bucket/key | count s3://bucket[/prefix]');
  process.exit(2);
}
