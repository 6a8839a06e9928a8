/**
 * The drift gauges the worker exports on its /metrics (names shared with the Grafana dashboard
 * in deploy/grafana): per feature score and verdict, and the dataset's drifted share.
 */
import { Gauge, Registry } from 'prom-client';
import type { DriftReport } from './drift-report.js';

export class DriftGauges {
  private readonly featureScore: Gauge;
  private readonly featureDrifted: Gauge;
  private readonly datasetShare: Gauge;
  private readonly datasetDrift: Gauge;

  constructor(readonly registry: Registry) {
    this.featureScore = new Gauge({ name: 'mlops_drift_feature_score', help: 'Drift statistic of a feature (test statistic or distance) in the last window', labelNames: ['model', 'feature', 'test'], registers: [registry] });
    this.featureDrifted = new Gauge({ name: 'mlops_drift_feature_drifted', help: '1 when the feature drifted in the last window', labelNames: ['model', 'feature'], registers: [registry] });
    this.datasetShare = new Gauge({ name: 'mlops_drift_dataset_share', help: 'Share of evaluated features that drifted in the last window', labelNames: ['model'], registers: [registry] });
    this.datasetDrift = new Gauge({ name: 'mlops_drift_dataset_drift', help: '1 when the dataset drifted in the last window', labelNames: ['model'], registers: [registry] });
  }

  update(report: DriftReport): void {
    for (const column of report.columns) {
      if (column.statistic !== null) this.featureScore.set({ model: report.model, feature: column.column, test: column.test }, column.statistic);
      if (column.drifted !== null) this.featureDrifted.set({ model: report.model, feature: column.column }, column.drifted ? 1 : 0);
    }
    this.datasetShare.set({ model: report.model }, report.share);
    this.datasetDrift.set({ model: report.model }, report.datasetDrift ? 1 : 0);
  }
}
