/**
 * The snapshot of what a run trains on, whatever `data.source` names: a file, one S3 object, or
 * the parts under an S3 prefix; or the one S3 object (and version) a new-data event named.
 * Every snapshot lands in `<dataDir>/snapshots/<sha256>.<ext>`, so the data version is always
 * the sha256 of the snapshot's bytes, and every error names the field it came from.
 */
import type { StorageConfig } from '../storage/storage-config.js';
import { dataObjectUrl, parseDataSource, type DataObject } from './data-source-url.js';
import { DatasetError } from './dataset-error.js';
import type { DatasetFormat } from './dataset-format.js';
import { snapshotS3Object, snapshotS3Prefix } from './s3-snapshot.js';
import { DATA_VERSION_LENGTH, findSnapshot, snapshotDataset, type DataSnapshot } from './snapshot.js';
import { sha256File } from './content-hash.js';

export interface DataSourceSnapshotOptions {
  format?: DatasetFormat;
  /** The definition's `storage` (S3 settings for a source on its bucket). */
  storage?: StorageConfig;
  /** Read this S3 object (the one a new-data event named), not what `data.source` names. */
  object?: DataObject;
  /**
   * The data version the run expects (16 to 64 hex). When this host already holds that snapshot,
   * an S3 source is not downloaded again: the bytes a webhook hashed are the bytes trained on.
   */
  expectedDataVersion?: string;
}

export async function snapshotDataSource(source: string, dataDir: string, options: DataSourceSnapshotOptions = {}): Promise<DataSnapshot> {
  const { format, storage, object, expectedDataVersion } = options;
  if (object !== undefined) {
    const url = dataObjectUrl(object);
    const held = expectedDataVersion === undefined ? undefined : await findSnapshot(dataDir, expectedDataVersion, { format, source: url });
    return held ?? snapshotS3Object(object, dataDir, { format, storage, field: 'dataObject' });
  }
  const location = parseDataSource(source);
  if (typeof location === 'string') throw new DatasetError(`data.source: ${location}`, { path: source, problem: 'invalid' });
  if (location.kind === 'file') return snapshotDataset(location.path, dataDir, { format });
  const held = expectedDataVersion === undefined ? undefined : await findSnapshot(dataDir, expectedDataVersion, { format, source });
  if (held) return held;
  return location.kind === 's3-object'
    ? snapshotS3Object({ bucket: location.bucket, key: location.key }, dataDir, { format, storage })
    : snapshotS3Prefix(location.bucket, location.prefix, dataDir, { format, storage });
}

/**
 * The version `source` has now, i.e. the sha256 its snapshot would have. A file is hashed where
 * it is (nothing copied); an S3 source is snapshotted into `dataDir`, so a run that follows on
 * this host reads no byte of it again.
 */
export async function currentDataVersion(source: string, dataDir: string, options: Pick<DataSourceSnapshotOptions, 'format' | 'storage'> = {}): Promise<{ sha256: string; dataVersion: string }> {
  const location = parseDataSource(source);
  if (typeof location !== 'string' && location.kind === 'file') {
    const { sha256 } = await sha256File(location.path);
    return { sha256, dataVersion: sha256.slice(0, DATA_VERSION_LENGTH) };
  }
  const { sha256, dataVersion } = await snapshotDataSource(source, dataDir, options);
  return { sha256, dataVersion };
}
