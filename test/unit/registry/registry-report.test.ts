import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/registry/audit-event.js';
import type { ModelVersion, RegisteredModel } from '../../../src/registry/model-registry.js';
import { REPORT_WIDTH, renderModelList, renderModelVersions, renderVersionDetail } from '../../../src/registry/registry-report.js';

const SHA = 'ab'.repeat(32);

function version(overrides: Partial<ModelVersion> = {}): ModelVersion {
  return {
    model: 'churn',
    version: 1,
    status: 'candidate',
    artifactSha256: SHA,
    artifactSize: 2048,
    metrics: { roc_auc: 0.91234, accuracy: 0.85, f1: 0.8, log_loss: 0.31, precision: 0.7 },
    gates: [{ gate: 'metric:roc_auc', value: 0.91234, min: 0.8, passed: true, detail: 'roc_auc 0.9123 ≥ 0.8' }],
    lineage: { dataVersion: 'sha256:0123456789abcdef0123', definitionHash: 'def-hash-1', trainer: 'builtin:logistic_regression', codeVersion: 'v0.1.0', workflowId: 'pipeline/churn/1', runId: 'run-abc' },
    rejectionReasons: [],
    aliases: [],
    idempotencyKey: 'pipeline/churn/1/run-abc',
    attachments: {},
    createdAt: '2025-03-04T05:06:07.890Z',
    updatedAt: '2025-03-04T05:07:00.000Z',
    ...overrides,
  };
}

const fitsWidth = (text: string) => text.split('\n').every((line) => line.length <= REPORT_WIDTH);

describe('renderModelList', () => {
  it('shows each model with its latest version and aliases', () => {
    const models: RegisteredModel[] = [
      { name: 'churn', createdAt: '2025-03-01T10:00:00.000Z', latestVersion: 7, aliases: { champion: 5, challenger: 7, shadow: 6 } },
      { name: 'fraud', createdAt: '2025-03-02T11:30:00.000Z', latestVersion: 1, aliases: {} },
    ];
    const text = renderModelList(models);
    const [header, churn, fraud] = text.split('\n');
    expect(header).toMatch(/^MODEL\s+LATEST\s+CHAMPION\s+CHALLENGER\s+OTHER ALIASES\s+CREATED \(UTC\)$/);
    expect(churn).toMatch(/^churn\s+7\s+5\s+7\s+shadow=6\s+2025-03-01 10:00$/);
    expect(fraud).toMatch(/^fraud\s+1\s+-\s+-\s+-\s+2025-03-02 11:30$/);
    expect(fitsWidth(text)).toBe(true);
  });

  it('says so when the registry is empty', () => {
    expect(renderModelList([])).toBe('No models registered yet.');
  });
});

describe('renderModelVersions', () => {
  it('tabulates version, status, aliases, primary metrics, data version and creation time', () => {
    const text = renderModelVersions('churn', [
      version({ status: 'archived' }),
      version({ version: 2, status: 'champion', aliases: ['champion'], metrics: { roc_auc: 0.95 } }),
      version({ version: 3, status: 'rejected', aliases: ['a-very-long-alias-name', 'challenger'] }),
    ]);
    const lines = text.split('\n');
    expect(lines[0]).toBe('Model churn: 3 versions');
    expect(lines[2]).toMatch(/^VERSION\s+STATUS\s+ALIASES\s+ROC_AUC\s+ACCURACY\s+F1\s+DATA VERSION\s+CREATED \(UTC\)$/);
    expect(lines[3]).toMatch(/^\s+1\s+archived\s+-\s+0\.9123\s+0\.8500\s+0\.8000\s+sha256:0123…\s+2025-03-04 05:06$/);
    expect(lines[4]).toMatch(/^\s+2\s+champion\s+champion\s+0\.9500\s+-\s+-\s/);
    expect(lines[5]).toContain('a-very-long-alias…');
    expect(fitsWidth(text)).toBe(true);
  });
});

describe('renderVersionDetail', () => {
  it('shows every field, the lineage, each gate, the rejection reasons and the history', () => {
    const rejected = version({
      version: 3,
      status: 'rejected',
      description: 'weekly retrain',
      lineage: { ...version().lineage, parentVersion: 2, trigger: 'drift' },
      gates: [
        { gate: 'metric:roc_auc', value: 0.61, min: 0.8, passed: false, detail: 'roc_auc 0.6100 is below the minimum 0.8 '.repeat(4).trim() },
        { gate: 'fairness:demographic_parity_difference', value: null, max: 0.1, passed: false, detail: 'no rows for group "x"' },
      ],
      rejectionReasons: ['roc_auc 0.6100 < 0.8', 'demographic parity difference could not be computed'],
    });
    const events: AuditEvent[] = [
      { model: 'churn', version: 3, at: '2025-03-04T05:06:07.890Z', actor: 'worker@host', change: { kind: 'registered', status: 'rejected' } },
      { model: 'churn', version: 3, at: '2025-03-04T06:00:00.000Z', actor: 'alice@laptop', reason: 'audit review', change: { kind: 'status', from: 'rejected', to: 'archived' } },
    ];
    const text = renderVersionDetail(rejected, events);

    expect(text.split('\n')[0]).toBe('Model churn, version 3 (rejected)');
    for (const expected of [
      /status\s+rejected/, /description\s+weekly retrain/, /created\s+2025-03-04T05:06:07.890Z/, /idempotency key\s+pipeline\/churn\/1\/run-abc/,
      new RegExp(`artifact sha256\\s+${SHA}`), /artifact size\s+2048 bytes/,
      /data version\s+sha256:0123456789abcdef0123/, /definition hash\s+def-hash-1/, /trainer\s+builtin:logistic_regression/,
      /code version\s+v0\.1\.0/, /workflow id\s+pipeline\/churn\/1/, /run id\s+run-abc/, /parent version\s+2/, /trigger\s+drift/,
      /roc_auc\s+0\.9123/, /log_loss\s+0\.3100/,
      /^ {2}FAIL {2}metric:roc_auc = 0\.6100 \(min 0\.8\)$/m, /^ {2}FAIL {2}fairness:demographic_parity_difference = n\/a \(max 0\.1\)$/m, /^ {8}no rows for group "x"$/m,
      /^ {2}- roc_auc 0\.6100 < 0\.8$/m, /^ {2}- demographic parity difference could not be computed$/m,
      /^ {2}2025-03-04T05:06:07\.890Z {2}registered as rejected {2}by worker@host$/m, /^ {2}.* {2}status rejected → archived {2}by alice@laptop$/m, /^ {6}why: audit review$/m,
    ]) {
      expect(text).toMatch(expected);
    }
    expect(fitsWidth(text)).toBe(true);
  });

  it('leaves out sections that have nothing to say', () => {
    const text = renderVersionDetail(version());
    expect(text).not.toContain('Rejection reasons');
    expect(text).not.toContain('History');
    expect(text).not.toMatch(/parent version|trigger|description/);
    expect(text).toMatch(/aliases\s+-/);
  });
});
