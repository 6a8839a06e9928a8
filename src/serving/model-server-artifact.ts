/**
 * What a model server loads at start: the version's artifact, copied out of the registry
 * (which checks the stored bytes against the recorded sha256) and read back with that same
 * hash checked again, so the server never scores with bytes other than the registered ones.
 */
import path from 'node:path';
import type { ModelRegistry, ModelVersion } from '../registry/model-registry.js';
import { ModelNotFoundError } from '../registry/model-registry.js';
import { openScoringModel } from '../model/open-scoring-model.js';
import type { ScoringModel } from '../model/scoring-model.js';

export interface LoadServingArtifactOptions {
  registry: ModelRegistry;
  model: string;
  version: number;
  /** Local copies go to `<cacheDir>/<model>/v<version>/model.artifact` (linear JSON or ONNX: the bytes say which). */
  cacheDir: string;
}

export interface ServingArtifact {
  /** The opened model, whatever its format. */
  artifact: ScoringModel;
  artifactSha256: string;
  /** The local, verified copy. */
  path: string;
  registered: ModelVersion;
}

/** Throws ModelNotFoundError, ArtifactIntegrityError (registry store changed) or ArtifactError (copy unreadable or invalid). */
export async function loadServingArtifact({ registry, model, version, cacheDir }: LoadServingArtifactOptions): Promise<ServingArtifact> {
  const registered = await registry.getVersion(model, version);
  if (registered === undefined) throw new ModelNotFoundError(`model "${model}" has no version ${version} in the registry`);
  const destination = path.join(cacheDir, model, `v${version}`, 'model.artifact');
  const downloaded = await registry.downloadArtifact(model, version, destination);
  const opened = await openScoringModel(downloaded.path, registered.artifactSha256);
  return { artifact: opened.model, artifactSha256: opened.sha256, path: downloaded.path, registered };
}
