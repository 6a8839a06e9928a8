import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { DatasetError } from './load-dataset.js';

/** sha256 of a file's bytes, streamed (the data version is derived from it). */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch (err) {
    throw new DatasetError(`cannot read data file ${file}: ${(err as Error).message}`);
  }
  return hash.digest('hex');
}
