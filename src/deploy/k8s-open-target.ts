/** Builds a Kubernetes deploy target (kubernetes-deployment, istio, kserve) from `deploy.kubernetes`. */
import type { DeploySection } from '../spec/schema.js';
import { durationToMs } from '../spec/duration.js';
import type { DeployTarget } from './deploy-target.js';
import { IstioDeployTarget } from './istio-deploy-target.js';
import { KubernetesApiObjects, loadKubeConfig, type KubernetesObjects } from './k8s-client.js';
import { KubernetesConfigError } from './k8s-errors.js';
import { LocallyServedTarget } from './k8s-locally-served-target.js';
import { KserveDeployTarget } from './kserve-deploy-target.js';
import { KubernetesDeploymentTarget } from './kubernetes-deployment-target.js';

export type KubernetesTargetKind = 'kubernetes-deployment' | 'istio' | 'kserve';

export function openKubernetesTarget(
  section: DeploySection & { target: KubernetesTargetKind },
  options: { localTarget: () => DeployTarget; objects?: KubernetesObjects },
): DeployTarget {
  const k8s = section.kubernetes;
  if (!k8s) throw new KubernetesConfigError(`deploy.target "${section.target}" needs a deploy.kubernetes section`);
  const objects = options.objects ?? new KubernetesApiObjects(loadKubeConfig({ kubeconfig: k8s.kubeconfig, context: k8s.context }));
  const common = { objects, namespace: k8s.namespace, name: k8s.name, port: k8s.port, conflictRetries: k8s.conflictRetries };
  const clusterServing = k8s.serving === 'cluster';
  const workloads = () => {
    if (!k8s.image) throw new KubernetesConfigError(`deploy.kubernetes.image is required for target "${section.target}" with cluster serving`);
    return { image: k8s.image, port: k8s.port, readyTimeoutMs: durationToMs(k8s.readyTimeout), conflictRetries: k8s.conflictRetries };
  };

  let cluster: DeployTarget;
  switch (section.target) {
    case 'kubernetes-deployment':
      // Under local serving the Deployments are still written (replicas mirror the weights); nothing waits for pods.
      cluster = new KubernetesDeploymentTarget({ ...common, ...(clusterServing ? workloads() : { image: k8s.image ?? 'local-serving/{model}:v{version}', port: k8s.port, readyTimeoutMs: 0, conflictRetries: k8s.conflictRetries }), replicas: k8s.replicas });
      break;
    case 'istio':
      cluster = new IstioDeployTarget({
        ...common, hosts: k8s.istio.hosts, gateways: k8s.istio.gateways, pinHeader: k8s.istio.pinHeader,
        workloads: clusterServing ? { ...workloads(), replicas: k8s.replicas } : undefined,
      });
      break;
    case 'kserve':
      if (!k8s.kserve.storageUri && !k8s.image) throw new KubernetesConfigError('deploy.kubernetes.kserve.storageUri (or deploy.kubernetes.image) is required for target "kserve"');
      cluster = new KserveDeployTarget({ ...common, storageUri: k8s.kserve.storageUri, modelFormat: k8s.kserve.modelFormat, runtime: k8s.kserve.runtime, image: k8s.image });
      break;
  }
  return clusterServing ? cluster : new LocallyServedTarget(cluster, options.localTarget());
}
