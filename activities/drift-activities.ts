/**
 * The activities of `driftMonitor`: read the window of the prediction log, compare it with the
 * champion's reference profile, keep the report (HTML + JSON) and export the gauges.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { PipelineDefinition } from '../src/spec/schema.js';
import { openRegistry } from '../src/registry/open-registry.js';
import { readProfile } from '../src/drift/reference-profile.js';
import { featureSpecs } from '../src/drift/profile.js';
import { profileFromPredictionLog } from '../src/drift/window-profile.js';
import { compareResolvingUndecided, EVERY_VALUE } from '../src/drift/exact-fallback.js';
import { profileFromTable } from '../src/drift/reference-profile.js';
import { loadDataset } from '../src/data/load-dataset.js';
import { writeDriftReport } from '../src/drift/report-html.js';
import type { DriftGauges } from '../src/drift/drift-gauges.js';
import { REFERENCE_PROFILE_ATTACHMENT } from '../src/drift/reference-profile-attachment.js';
import type { ActivityDependencies } from './pipeline-activities.js';

export interface DriftSummary {
  outcome: 'drift' | 'no-drift' | 'insufficient-data' | 'no-champion';
  championVersion?: number;
  currentRows: number;
  evaluated: number;
  share?: number;
  driftedColumns: string[];
  findings: number;
  /** The report's folder: report.html and report.json. */
  reportPath?: string;
}

export function createDriftActivities(deps: ActivityDependencies & { gauges: DriftGauges }) {
  return {
    async computeDrift(args: { definition: PipelineDefinition; fromMs: number; toMs: number; windowKey: string }): Promise<DriftSummary> {
      const { definition } = args;
      const drift = definition.monitor?.drift;
      if (!drift) throw ApplicationFailure.nonRetryable(`${definition.model}: no monitor.drift section`, 'SpecError');
      const registry = await openRegistry(definition.registry, { dataDir: deps.dataDir });
      try {
        const champion = await registry.getVersionByAlias(definition.model, 'champion');
        if (!champion) return { outcome: 'no-champion', currentRows: 0, evaluated: 0, driftedColumns: [], findings: 0 };
        const dir = path.join(deps.dataDir, 'reports', 'drift', definition.model, args.windowKey);
        await mkdir(dir, { recursive: true });
        const downloaded = await registry.downloadAttachment(definition.model, champion.version, REFERENCE_PROFILE_ATTACHMENT, path.join(dir, 'reference-profile.json'));
        if (!downloaded) {
          throw ApplicationFailure.nonRetryable(`${definition.model} v${champion.version} has no ${REFERENCE_PROFILE_ATTACHMENT}: it was registered before drift monitoring; retrain to get one`, 'MissingReferenceProfile');
        }
        const reference = await readProfile(downloaded.path);
        Context.current().heartbeat('reading the prediction log');
        // Read each feature as the reference has it, with the reference's profile options.
        const current = await profileFromPredictionLog(deps.dataDir, definition.model, args.fromMs, args.toMs, featureSpecs(reference), reference.options);
        if (current.rows < drift.minRows) {
          return { outcome: 'insufficient-data', championVersion: champion.version, currentRows: current.rows, evaluated: 0, driftedColumns: [], findings: 0 };
        }
        Context.current().heartbeat('comparing');
        const report = await compareResolvingUndecided(reference, current, {
          model: definition.model,
          version: champion.version,
          window: { from: new Date(args.fromMs).toISOString(), to: new Date(args.toMs).toISOString() },
          method: drift.method,
          threshold: drift.threshold,
          columns: drift.columns,
          kinds: drift.kinds,
          datasetThreshold: drift.datasetThreshold,
          missingShareShift: drift.missingShareShift,
          newCategoryCriticalShare: drift.newCategoryCriticalShare,
        }, {
          // Columns whose sketched distance cannot tell the verdict, from every value.
          reference: async (features) => {
            Context.current().heartbeat('reading the training snapshot for undecided columns');
            const snapshot = await findSnapshotFile(deps.dataDir, champion.lineage.dataVersion);
            return snapshot === undefined ? undefined : profileFromTable(await loadDataset(snapshot), features.map((f) => f.name), { ...reference.options, sampleSize: EVERY_VALUE });
          },
          current: async (features) => {
            Context.current().heartbeat('reading undecided columns of the window in full');
            return profileFromPredictionLog(deps.dataDir, definition.model, args.fromMs, args.toMs, features, { ...reference.options, sampleSize: EVERY_VALUE });
          },
        });
        await writeDriftReport(report, dir);
        deps.gauges.update(report);
        return {
          outcome: report.datasetDrift ? 'drift' : 'no-drift',
          championVersion: champion.version,
          currentRows: report.currentRows,
          evaluated: report.evaluated,
          share: report.share,
          driftedColumns: report.columns.filter((c) => c.drifted).map((c) => c.column),
          findings: report.findings.length,
          reportPath: dir,
        };
      } finally {
        await registry.close();
      }
    },
  };
}

export type DriftActivities = ReturnType<typeof createDriftActivities>;

/** The training snapshot of a data version (`<dataDir>/snapshots/<sha256>.<ext>`), if still there. */
async function findSnapshotFile(dataDir: string, sha256: string): Promise<string | undefined> {
  const directory = path.join(dataDir, 'snapshots');
  const names = await readdir(directory).catch(() => [] as string[]);
  const name = sha256 ? names.find((entry) => entry.startsWith(`${sha256}.`)) : undefined;
  return name === undefined ? undefined : path.join(directory, name);
}
