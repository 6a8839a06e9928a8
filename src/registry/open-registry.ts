/**
 * The one place that turns the pipeline definition's `registry` section into an adapter:
 * `embedded` (SQLite under the data directory) or `mlflow` (a tracking server over REST, with
 * auth read from the environment variables the section names).
 */
import path from 'node:path';
import type { RegistrySection } from '../spec/schema.js';
import { EmbeddedRegistry, type EmbeddedRegistryOptions } from './embedded-registry.js';
import type { ModelRegistry } from './model-registry.js';
import { MlflowRegistry } from './mlflow-registry.js';

export interface OpenRegistryOptions extends EmbeddedRegistryOptions {
  /** The control plane's data directory; the embedded registry defaults to `<dataDir>/registry`. */
  dataDir: string;
}

/** The embedded registry's directory: `section.path` (relative to the working directory) or `<dataDir>/registry`. */
export function embeddedRegistryDirectory(section: Extract<RegistrySection, { kind: 'embedded' }>, dataDir: string): string {
  return path.resolve(section.path ?? path.join(dataDir, 'registry'));
}

export async function openRegistry(section: RegistrySection, options: OpenRegistryOptions): Promise<ModelRegistry> {
  switch (section.kind) {
    case 'embedded': {
      const { dataDir, ...embedded } = options;
      return EmbeddedRegistry.open(embeddedRegistryDirectory(section, dataDir), embedded);
    }
    case 'mlflow':
      return MlflowRegistry.fromSection(section);
  }
}
