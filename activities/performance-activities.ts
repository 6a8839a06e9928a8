/**
 * The activity of `performanceMonitor`: read the prediction log and the labels that have arrived
 * over the lookback, join them by request id per version and window, judge each window against
 * its version's reference (training hold-out metrics; CBPE fitted on the hold-out), keep the
 * report (JSON + HTML) and answer a small summary. Idempotent: the same `asOfMs` gives the same
 * windows and verdicts, and the report folder is named by it.
 */
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { PipelineDefinition } from '../src/spec/schema.js';
import { durationToMs } from '../src/spec/duration.js';
import { openRegistry } from '../src/registry/open-registry.js';
import { raisedDedupKeys } from '../src/alerts/raised-alerts.js';
import { joinLabelsByWindow } from '../src/performance/label-join.js';
import { readLabelsForPerformance, readPredictionsForPerformance } from '../src/performance/performance-log-read.js';
import { loadVersionReference, type LoadedVersionReference } from '../src/performance/version-reference.js';
import { assessWindow } from '../src/performance/window-assessment.js';
import {
  summariseWindow, windowFindings, writePerformanceReport,
  type PerformanceFinding, type PerformanceReport, type PerformanceWindowSummary,
} from '../src/performance/performance-report.js';
import type { ActivityDependencies } from './pipeline-activities.js';
import { openBlobStore } from '../src/storage/open-blob-store.js';
import { withLogWindow } from '../src/storage/log-window.js';

export interface PerformanceCheckSummary {
  model: string;
  asOf: string;
  /** The report's folder: report.html and report.json. */
  reportPath: string;
  windows: PerformanceWindowSummary[];
  /** Findings whose dedup key has not been alerted yet (the alert log says which were). */
  newFindings: PerformanceFinding[];
}

export function createPerformanceActivities(deps: ActivityDependencies) {
  return {
    async checkPerformance(args: { definition: PipelineDefinition; asOfMs: number; reportKey: string }): Promise<PerformanceCheckSummary> {
      const { definition, asOfMs } = args;
      const config = definition.monitor?.performance;
      if (!config) throw ApplicationFailure.nonRetryable(`${definition.model}: the definition has no monitor.performance section`, 'SpecError');
      const windowMs = durationToMs(config.window);
      // Whole windows only: the oldest one the lookback touches is read from its start.
      const fromMs = Math.floor((asOfMs - durationToMs(config.lookback)) / windowMs) * windowMs;
      const fairnessGate = definition.evaluate.gates.fairness;
      const threshold = definition.evaluate.threshold;

      Context.current().heartbeat('reading the prediction and label logs');
      // With `storage`, from the object store the gateways upload to (src/storage/log-window.ts).
      const { predictions, labels } = await withLogWindow({
        store: definition.storage ? openBlobStore(definition.storage) : undefined, dataDir: deps.dataDir, logs: ['predictions', 'labels'],
        model: definition.model, fromMs, toMs: asOfMs + 1, heartbeat: (details) => Context.current().heartbeat(details),
      }, async (dataDir) => ({
        predictions: await readPredictionsForPerformance(dataDir, definition.model, fromMs, asOfMs, fairnessGate?.attribute),
        // A label cannot arrive before its prediction: labels from fromMs on are all that can join.
        labels: await readLabelsForPerformance(dataDir, definition.model, fromMs, asOfMs + 1),
      }));
      const joined = joinLabelsByWindow(predictions, labels, { windowMs, asOfMs, minLabels: config.minLabels, minLabelCoverage: config.minLabelCoverage });

      const references = new Map<number, LoadedVersionReference>();
      const registry = await openRegistry(definition.registry, { dataDir: deps.dataDir });
      try {
        for (const version of new Set(joined.windows.map((window) => window.version))) {
          Context.current().heartbeat(`reference of v${version}`);
          references.set(version, await loadVersionReference({
            registry, dataDir: deps.dataDir, model: definition.model, version,
            target: definition.data.target, evaluate: definition.evaluate, estimate: config.estimate,
            ...(definition.storage && { store: openBlobStore(definition.storage) }),
          }));
        }
      } finally {
        await registry.close();
      }

      Context.current().heartbeat('assessing windows');
      const windows = joined.windows.map((window) => {
        const assessment = assessWindow(window, references.get(window.version)!, config, { threshold, ...(fairnessGate && { fairnessGate }) });
        return { ...assessment, start: new Date(window.startMs).toISOString(), end: new Date(window.endMs).toISOString(), findings: windowFindings(definition.model, assessment) };
      });
      const report: PerformanceReport = {
        model: definition.model,
        generatedAt: new Date().toISOString(),
        asOf: new Date(asOfMs).toISOString(),
        window: config.window,
        lookback: config.lookback,
        threshold,
        range: { from: new Date(fromMs).toISOString(), to: new Date(asOfMs).toISOString() },
        fairnessAttribute: fairnessGate?.attribute ?? null,
        versions: [...references].map(([version, reference]) => ({
          version,
          baseline: reference.baseline,
          cbpe: reference.cbpe ? { referenceRows: reference.cbpe.referenceRows, calibration: reference.cbpe.calibration } : null,
          ...(reference.cbpeUnavailable !== undefined && { cbpeUnavailable: reference.cbpeUnavailable }),
        })),
        windows,
        ignored: joined.ignored,
      };
      const reportPath = path.join(deps.dataDir, 'reports', 'performance', definition.model, args.reportKey);
      await writePerformanceReport(report, reportPath);

      const findings = windows.flatMap((window) => window.findings);
      const raised = await raisedDedupKeys(deps.dataDir, findings.map((finding) => finding.dedupKey));
      return {
        model: definition.model,
        asOf: report.asOf,
        reportPath,
        windows: windows.map(summariseWindow),
        newFindings: findings.filter((finding) => !raised.has(finding.dedupKey)),
      };
    },
  };
}

export type PerformanceActivities = ReturnType<typeof createPerformanceActivities>;
