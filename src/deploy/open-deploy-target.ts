/** The one place that picks the deploy adapter from the pipeline definition. */
import { gatewayReplicaUrls } from './gateway-replicas.js';
import { containerDeploySettings, type DeploySection, type RegistrySection } from '../spec/schema.js';
import type { DeployTarget } from './deploy-target.js';
import { LocalDeployTarget } from './local-deploy-target.js';
import { ContainerDeployTarget } from './container-deploy-target.js';
import { openKubernetesTarget } from './k8s-open-target.js';

/** `gatewayToken` is read only by targets that route through our gateway (cluster serving has none). */
export function openDeployTarget(section: DeploySection, options: { dataDir: string; gatewayToken: string | (() => string); registry?: RegistrySection }): DeployTarget {
  const token = () => (typeof options.gatewayToken === 'string' ? options.gatewayToken : options.gatewayToken());
  switch (section.target) {
    case 'local':
      return new LocalDeployTarget({ dataDir: options.dataDir, gatewayUrl: gatewayReplicaUrls(section), gatewayToken: token(), registry: options.registry });
    case 'container':
      return new ContainerDeployTarget({ dataDir: options.dataDir, gatewayUrl: gatewayReplicaUrls(section), gatewayToken: token(), settings: containerDeploySettings(section) });
    case 'kubernetes-deployment':
    case 'istio':
    case 'kserve':
      return openKubernetesTarget({ ...section, target: section.target }, {
        localTarget: () => new LocalDeployTarget({ dataDir: options.dataDir, gatewayUrl: gatewayReplicaUrls(section), gatewayToken: token(), registry: options.registry }),
      });
  }
}

/** Secrets come from the environment of the process that runs the activity, never from history. */
export function gatewayToken(section: DeploySection, env: NodeJS.ProcessEnv = process.env): string {
  const token = env[section.gateway.tokenEnv];
  if (!token) throw new MissingSecretError(`environment variable ${section.gateway.tokenEnv} (deploy.gateway.tokenEnv) is not set in the worker's environment`);
  return token;
}

export class MissingSecretError extends Error {
  override readonly name = 'MissingSecretError';
}
