/** How a version is written to MLflow tags, params and metrics, and read back: a lossless round trip. */
import { describe, expect, it } from 'vitest';
import type { NewModelVersion } from '../../../src/registry/model-registry.js';
import { metricKey, newVersionTags, runRecord, TAG, toModelVersion } from '../../../src/registry/mlflow-version-tags.js';

const request: NewModelVersion = {
  model: 'fraud',
  idempotencyKey: 'pipeline/fraud/abc/run-1',
  status: 'rejected',
  artifactPath: '/tmp/model.json',
  metrics: { roc_auc: 0.9123456789012345, 'fairness:demographic_parity_difference': 0.04 },
  gates: [{ gate: 'metric:roc_auc', value: 0.91, min: 0.95, passed: false, detail: 'roc_auc 0.91 < 0.95' }],
  lineage: { dataVersion: 'abc123', definitionHash: 'def456', trainer: 'builtin:logistic_regression', codeVersion: 'git:1234', workflowId: 'pipeline/fraud/abc', runId: 'run-1', parentVersion: 3, trigger: 'drift' },
  rejectionReasons: ['roc_auc 0.91 below 0.95'],
  description: 'nightly',
};

describe('MLflow version tags', () => {
  it('reads back what it wrote: status, reasons, gates, lineage, sha256, key, and metrics from the run', () => {
    const tags = newVersionTags(request, { sha256: 'f'.repeat(64), size: 42, path: 'model/model.json' }, '2024-05-01T00:00:00.000Z');
    const record = runRecord(request, 1_714_521_600_000);
    const version = toModelVersion(
      { name: 'fraud', version: '4', creation_timestamp: 1_714_521_600_000, tags: [...tags, { key: `${TAG.attachmentPrefix}profile.json`, value: '{"sha256":"aa","size":3}' }], aliases: ['x'], description: 'nightly' },
      { info: { run_id: 'r', experiment_id: '1' }, data: { metrics: record.metrics } },
    );
    expect(version).toEqual({
      model: 'fraud',
      version: 4,
      status: 'rejected',
      artifactSha256: 'f'.repeat(64),
      artifactSize: 42,
      metrics: request.metrics,
      gates: request.gates,
      lineage: request.lineage,
      rejectionReasons: request.rejectionReasons,
      aliases: ['x'],
      idempotencyKey: request.idempotencyKey,
      attachments: { 'profile.json': { sha256: 'aa', size: 3 } },
      createdAt: '2024-05-01T00:00:00.000Z',
      updatedAt: '2024-05-01T00:00:00.000Z',
      description: 'nightly',
    });
  });

  it('logs lineage as params and tags, one tag per gate, and marks the batch as logged', () => {
    const record = runRecord(request, 1);
    expect(record.params).toEqual([
      { key: 'trainer', value: 'builtin:logistic_regression' }, { key: 'data_version', value: 'abc123' }, { key: 'definition_hash', value: 'def456' },
      { key: 'code_version', value: 'git:1234' }, { key: 'workflow_id', value: 'pipeline/fraud/abc' }, { key: 'temporal_run_id', value: 'run-1' },
      { key: 'trigger', value: 'drift' }, { key: 'parent_version', value: '3' },
    ]);
    expect(record.tags).toContainEqual({ key: 'mlops.gate.metric:roc_auc', value: 'fail 0.91 (min 0.95): roc_auc 0.91 < 0.95' });
    expect(record.tags).toContainEqual({ key: 'mlops.lineage.data_version', value: 'abc123' });
    expect(record.tags).toContainEqual({ key: TAG.logged, value: 'true' });
  });

  it('reads a version registered outside the control plane as a candidate without lineage', () => {
    const version = toModelVersion({ name: 'legacy', version: '1', creation_timestamp: 0 }, undefined);
    expect(version).toMatchObject({ status: 'candidate', artifactSha256: '', metrics: {}, gates: [], rejectionReasons: [], aliases: [], attachments: {} });
  });

  it('replaces characters MLflow refuses in metric keys', () => {
    expect(metricKey('fairness:dp/diff (region)')).toBe('fairness:dp/diff _region_');
  });
});
