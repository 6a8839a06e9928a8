/**
 * The deploy port: where versions run and how traffic is split between them. Every method is
 * idempotent (calling it twice changes nothing) and safe to retry after a crash.
 */
export interface DeployedVersion {
  model: string;
  version: number;
  /** Where the version's model server answers (Open Inference Protocol v2). */
  url: string;
  /** Adapter-specific handle, e.g. a process id or a Kubernetes object name. */
  ref: string;
}

export interface TrafficSplit {
  model: string;
  /** version → percent; sums to 100 once traffic flows. */
  weights: Record<number, number>;
  revision: number;
}

export interface DeployOptions {
  /** Fault injection for demos and drills (deploy.faults). */
  faults?: { errorRate: number; addedLatencyMs: number; duration?: string };
}

export interface DeployTarget {
  /** Starts the version (if not running), waits until it is ready, routes it at weight 0. */
  deployVersion(model: string, version: number, options?: DeployOptions): Promise<DeployedVersion>;
  /** Sets every version's weight at once; versions left out get 0. */
  setTrafficWeights(model: string, weights: Record<number, number>): Promise<TrafficSplit>;
  getTrafficSplit(model: string): Promise<TrafficSplit | undefined>;
  /** Removes the version from routing (it must have weight 0) and stops it. */
  retireVersion(model: string, version: number): Promise<void>;
}
