/** The gateway replicas a deploy section names: `gateway.urls` when set, else the one `gateway.url`. */
import type { DeploySection } from '../spec/schema.js';

export function gatewayReplicaUrls(deploy: Pick<DeploySection, 'gateway'>): string[] {
  return deploy.gateway.urls ?? [deploy.gateway.url];
}
