/**
 * The activities of `canaryRollout`: deploy, shift traffic, measure, promote, roll back.
 * Thin and idempotent; secrets (the gateway token) are read here from the worker's environment.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { PipelineDefinition, DeploySection, RegistrySection } from '../src/spec/schema.js';
import type { DeployedVersion, TrafficSplit } from '../src/deploy/deploy-target.js';
import { gatewayReplicaUrls } from '../src/deploy/gateway-replicas.js';
import { GatewayAdminClient } from '../src/serving/gateway-admin-client.js';
import { analyseShadow, type ShadowAnalysis } from '../src/canary/shadow-analysis.js';
import { gatewayToken, MissingSecretError, openDeployTarget } from '../src/deploy/open-deploy-target.js';
import { isNonRetryableDeployError } from '../src/deploy/k8s-errors.js';
import { openMetricsSource } from '../src/metrics/open-metrics-source.js';
import type { VersionMetrics } from '../src/metrics/metrics-source.js';
import { openRegistry } from '../src/registry/open-registry.js';
import { StatusTransitionError } from '../src/registry/model-registry.js';
import { deliveredBefore, dispatchAlert, type AlertRequest } from '../src/alerts/dispatch-alert.js';
import { AlertNotDeliveredError } from '../src/alerts/deliver-alert.js';
import type { ActivityDependencies } from './pipeline-activities.js';

export interface MetricsSnapshot {
  canary?: VersionMetrics;
  champion?: VersionMetrics;
  /** Why metrics were unavailable; the check then counts as an error. */
  unavailable?: string;
}

export function createDeployActivities(deps: ActivityDependencies) {
  const target = (deploy: DeploySection, registry?: RegistrySection) =>
    openDeployTarget(deploy, { dataDir: deps.dataDir, gatewayToken: () => secret(() => gatewayToken(deploy)), registry });
  const withRegistry = async <T>(definition: PipelineDefinition, fn: (registry: Awaited<ReturnType<typeof openRegistry>>) => Promise<T>) => {
    const registry = await openRegistry(definition.registry, { dataDir: deps.dataDir });
    try {
      return await fn(registry);
    } finally {
      await registry.close();
    }
  };

  return {
    /** `registry`: where the version's model server loads its artifact (the pipeline's registry). */
    async deployVersion(args: { deploy: DeploySection; model: string; version: number; withFaults: boolean; registry?: RegistrySection }): Promise<DeployedVersion> {
      Context.current().heartbeat('deploying');
      return deployErrors(() =>
        target(args.deploy, args.registry).deployVersion(args.model, args.version, {
          faults: args.withFaults ? args.deploy.faults : undefined,
          heartbeat: (details) => Context.current().heartbeat(details),
        }),
      );
    },

    /** Sets the weights and reads back what the gateway stored; anything else fails the activity. */
    async setTrafficWeights(args: { deploy: DeploySection; model: string; weights: Record<number, number> }): Promise<TrafficSplit> {
      const split = await deployErrors(() => target(args.deploy).setTrafficWeights(args.model, args.weights));
      for (const [version, weight] of Object.entries(args.weights)) {
        if ((split.weights[Number(version)] ?? 0) !== weight) {
          throw new Error(`the gateway stored weight ${split.weights[Number(version)] ?? 0} for v${version}, not ${weight}`);
        }
      }
      return split;
    },

    /** Shadow traffic on every gateway replica (null: off); each must store it. Idempotent. */
    async setShadowTraffic(args: { deploy: DeploySection; model: string; mirror: { version: number; percent: number } | null }): Promise<void> {
      const token = secret(() => gatewayToken(args.deploy));
      for (const url of gatewayReplicaUrls(args.deploy)) {
        const table = await new GatewayAdminClient(url, token).setMirror(args.model, args.mirror);
        const stored = table.mirror ?? null;
        if (JSON.stringify(stored) !== JSON.stringify(args.mirror)) throw new Error(`the gateway at ${url} stored mirror ${JSON.stringify(stored)}, not ${JSON.stringify(args.mirror)}`);
      }
    },

    /** The shadow phase's verdict from the gateway's two logs (src/canary/shadow-analysis.ts). */
    async analyseShadowTraffic(args: { definition: PipelineDefinition; championVersion: number; shadowVersion: number; fromMs: number; toMs: number }): Promise<ShadowAnalysis> {
      const gates = args.definition.deploy?.shadow?.gates;
      if (!gates) throw ApplicationFailure.nonRetryable(`${args.definition.model}: no deploy.shadow section`, 'SpecError');
      return analyseShadow({ dataDir: deps.dataDir, model: args.definition.model, championVersion: args.championVersion, shadowVersion: args.shadowVersion, fromMs: args.fromMs, toMs: args.toMs, threshold: args.definition.evaluate.threshold }, gates);
    },

    async getTrafficSplit(args: { deploy: DeploySection; model: string }): Promise<TrafficSplit | undefined> {
      return target(args.deploy).getTrafficSplit(args.model);
    },

    async retireVersion(args: { deploy: DeploySection; model: string; version: number }): Promise<void> {
      await target(args.deploy).retireVersion(args.model, args.version);
    },

    /** Metrics of the canary and the champion; unavailability is data (an `error` check), not a failure. */
    /** `kpis`: the business KPIs to report (sla.kpis, experiment.kpis); others are left out of history. */
    async measureVersions(args: { deploy: DeploySection; model: string; canaryVersion: number; championVersion?: number; windowSeconds: number; slowerThanMs?: number; kpis?: string[] }): Promise<MetricsSnapshot> {
      try {
        const source = openMetricsSource(args.deploy.metrics, { url: gatewayReplicaUrls(args.deploy), token: secret(() => gatewayToken(args.deploy)) });
        const options = { slowerThanMs: args.slowerThanMs, kpis: args.kpis ?? [] };
        const [canary, champion] = await Promise.all([
          source.versionMetrics(args.model, args.canaryVersion, args.windowSeconds, options),
          args.championVersion !== undefined ? source.versionMetrics(args.model, args.championVersion, args.windowSeconds, options) : undefined,
        ]);
        return { canary: onlyKpis(canary, options.kpis), champion: champion && onlyKpis(champion, options.kpis) };
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        return { unavailable: (err as Error).message };
      }
    },

    async promoteVersion(args: { definition: PipelineDefinition; version: number; reason: string }): Promise<{ previousChampion?: number }> {
      return withRegistry(args.definition, async (registry) => {
        const previous = await registry.getVersionByAlias(args.definition.model, 'champion');
        if (previous?.version !== args.version) await registry.setAlias(args.definition.model, 'champion', args.version, args.reason);
        return { previousChampion: previous && previous.version !== args.version ? previous.version : undefined };
      });
    },

    async rejectVersion(args: { definition: PipelineDefinition; version: number; reason: string }): Promise<void> {
      await withRegistry(args.definition, async (registry) => {
        try {
          await registry.removeAlias(args.definition.model, 'challenger', args.reason).catch(() => undefined);
          await registry.setStatus(args.definition.model, args.version, 'rejected', args.reason);
        } catch (err) {
          if (err instanceof StatusTransitionError) throw ApplicationFailure.nonRetryable(err.message, err.name);
          throw err;
        }
      });
    },

    /**
     * Records the alert, then sends it to the sinks `alerts` names (secrets read here, from the
     * worker's environment). Delivered sinks are kept in heartbeat details: a retry skips them.
     */
    async sendAlert(event: AlertRequest): Promise<void> {
      const context = Context.current();
      const delivered = deliveredBefore(context.info.heartbeatDetails);
      const startToCloseMs = context.info.startToCloseTimeoutMs;
      try {
        await dispatchAlert(deps.dataDir, event, {
          alreadyDelivered: delivered,
          onDelivered: (sink) => {
            delivered.add(sink);
            context.heartbeat({ delivered: [...delivered] });
          },
          deadlineMs: startToCloseMs > 0 ? Date.now() + startToCloseMs - 1000 : undefined,
          log: (line) => context.log.warn(`alerts: ${line}`),
        });
      } catch (err) {
        if (!(err instanceof AlertNotDeliveredError)) throw err;
        throw err.retryable ? ApplicationFailure.retryable(err.message, err.name) : ApplicationFailure.nonRetryable(err.message, err.name);
      }
    },
  };
}

export type DeployActivities = ReturnType<typeof createDeployActivities>;

/** Errors of the cluster adapters that retrying cannot fix (a rejected body, impossible weights). */
async function deployErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (isNonRetryableDeployError(err)) throw ApplicationFailure.nonRetryable(err.message, err.name);
    throw err;
  }
}

function secret(read: () => string): string {
  try {
    return read();
  } catch (err) {
    if (err instanceof MissingSecretError) throw ApplicationFailure.nonRetryable(err.message, err.name);
    throw err;
  }
}

/** The stats with only the named KPIs (the gateway answers every KPI it saw). */
function onlyKpis<T extends { kpis?: Record<string, unknown> }>(stats: T, names: readonly string[]): T {
  const { kpis, ...rest } = stats;
  const kept = Object.fromEntries(Object.entries(kpis ?? {}).filter(([name]) => names.includes(name)));
  return (Object.keys(kept).length > 0 ? { ...rest, kpis: kept } : rest) as T;
}
