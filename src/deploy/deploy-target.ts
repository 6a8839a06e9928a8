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
  /** Kubernetes targets: the objects that carry the split, as the API server stored them. */
  live?: LiveObjectSummary[];
}

/** One stored object behind a traffic split, for the status query (`VirtualService default/fraud: v2=5, v1=95`). */
export interface LiveObjectSummary {
  /** Kind, namespace and name, e.g. `VirtualService default/fraud-detector`. */
  object: string;
  resourceVersion: string;
  /** The traffic-relevant fields as stored, e.g. `{ "weight[v2]": 5 }` or `{ canaryTrafficPercent: 5 }`. */
  values: Record<string, number | string | null>;
}

export interface DeployOptions {
  /** Fault injection for demos and drills (deploy.faults). */
  faults?: { errorRate: number; addedLatencyMs: number; duration?: string; flap?: { on: string; off: string } };
  /** Called while waiting for pods or model servers to become ready, so a long wait keeps the activity's heartbeat alive. */
  heartbeat?: (details: string) => void;
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
