/**
 * The activities of `driftMonitor`: read the window of the prediction log, compare it with the
 * champion's reference profile, keep the report (HTML + JSON) and export the gauges.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { PipelineDefinition } from '../src/spec/schema.js';
import { openRegistry } from '../src/registry/open-registry.js';
import { readProfile } from '../src/drift/reference-profile.js';
import { featureSpecs } from '../src/drift/profile.js';
import { profileFromPredictionLog } from '../src/drift/window-profile.js';
import { compareProfiles } from '../src/drift/compare.js';
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
        const report = compareProfiles(reference, current, {
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
