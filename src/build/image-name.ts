/**
 * Content-addressed names of serving images: `<registry>/<repository>/<model>:v<version>-<sha16>`,
 * where sha16 is the start of the artifact's sha256. The same version with the same bytes always
 * gets the same tag, so a tag found in the registry means the build is already done.
 */
import { registryEndpoint } from './image-registry-client.js';

export interface ServingImageName {
  /** `127.0.0.1:5001` */
  registryHost: string;
  /** Repository path inside the registry: `mlops/fraud-detector`. */
  repository: string;
  /** `v3-0123456789abcdef` */
  tag: string;
  /** `127.0.0.1:5001/mlops/fraud-detector:v3-0123456789abcdef` */
  reference: string;
}

const ARTIFACT_SHA_CHARS = 16;

export function servingImageName(options: { registryUrl: string; repository: string; model: string; version: number; artifactSha256: string }): ServingImageName {
  if (!/^[0-9a-f]{64}$/.test(options.artifactSha256)) throw new Error(`expected an artifact sha256 of 64 hex digits, got ${JSON.stringify(options.artifactSha256)}`);
  const { host } = registryEndpoint(options.registryUrl);
  const repository = `${options.repository}/${repositoryComponent(options.model)}`;
  const tag = `v${options.version}-${options.artifactSha256.slice(0, ARTIFACT_SHA_CHARS)}`;
  return { registryHost: host, repository, tag, reference: `${host}/${repository}:${tag}` };
}

/** `host/repo@sha256:…`: the reference that names exactly the pushed bytes. */
export function pinnedReference(name: Pick<ServingImageName, 'registryHost' | 'repository'>, digest: string): string {
  return `${name.registryHost}/${name.repository}@${digest}`;
}

/**
 * A model name as one repository path component (`[a-z0-9]+([._]|__|-+)[a-z0-9]+…`): model names
 * allow separator runs like `a.-b` or a trailing `-` that Docker refuses, so those fold to one `-`.
 */
export function repositoryComponent(model: string): string {
  const folded = model.toLowerCase().replace(/[._-]{2,}/g, (run) => (run === '__' ? run : '-')).replace(/[._-]+$/, '');
  if (!/^[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*$/.test(folded)) throw new Error(`model name ${JSON.stringify(model)} cannot be used as an image repository name`);
  return folded;
}
