/**
 * Secrets never enter workflow history, checked over the whole test namespace. This file sets
 * every secret the product reads (gateway token, PagerDuty routing key, Slack webhook URL, alert
 * webhook URL and secret, new-data webhook secret, MLflow token and headers, image registry
 * password) to fresh random values in its worker's environment, runs workflows that use each of
 * them (a pipeline that deploys through the gateway and alerts every sink on rejection, a
 * pipeline on MLflow with a bearer token, a run started by a signed webhook), then reads every
 * workflow history on the dev server (every suite's runs that exist by then, on any task queue)
 * and looks for each value raw, JSON-escaped and base64-encoded at any byte offset, and for the
 * fixed secrets the other test files use.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { createWorkflowTestEnvironment, type WorkflowTestEnvironment } from '../support/workflow-environment.js';
import { GATEWAY_TOKEN, startServingStack, type ServingStack } from '../support/serving-stack.js';
import { fraudDefinition, makeDataset, writeDefinition } from '../support/pipeline-fixtures.js';
import { startPagerDutyReceiver, startSlackReceiver, startWebhookReceiver, type AlertReceiver } from '../support/alert-receiver.js';
import { mlflowUnavailableReason, startMlflow, type RunningMlflow } from '../support/mlflow-server.js';
import { send, standardWebhookDelivery } from '../support/webhook-sender.js';
import { resolveApiConfig } from '../../src/triggers/api-config.js';
import { startWebhookServer, type RunningApiServer } from '../../src/triggers/webhook-server.js';
import type { PipelineDefinitionInput } from '../../src/spec/schema.js';

const secret = (label: string) => `${label}-${randomBytes(18).toString('hex')}`;
/** The values this file's worker sees; the gateway token is the serving stack's own (set by it). */
const SECRETS: Record<string, string> = {
  PD_ROUTING_KEY: randomBytes(16).toString('hex'), // PagerDuty routing keys are 32 characters
  MLOPS_ALERT_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
  MLOPS_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
  MLFLOW_TRACKING_TOKEN: secret('mlflow-token'),
  MLFLOW_HEADERS_SECRET: secret('mlflow-header'),
  MLOPS_REGISTRY_PASSWORD: secret('registry-password'),
};
/** Fixed secrets other test files give their workers: they must not be in any history either. */
const FIXED_SECRETS = [GATEWAY_TOKEN, 'container-target-test-token'];

const mlflowUnavailable = await mlflowUnavailableReason('secrets-in-history');

let env: WorkflowTestEnvironment;
let stack: ServingStack;
let dir: string;
let receivers: { pagerduty: AlertReceiver; slack: AlertReceiver; webhook: AlertReceiver };
let mlflow: RunningMlflow | undefined;
let api: RunningApiServer | undefined;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mlops-secrets-'));
  receivers = { pagerduty: await startPagerDutyReceiver(), slack: await startSlackReceiver(), webhook: await startWebhookReceiver({ secret: SECRETS.MLOPS_ALERT_WEBHOOK_SECRET }) };
  // URLs that are secrets (Slack's carries its token; the alert webhook's may) get a random path part too.
  const environment: Record<string, string> = {
    ...SECRETS,
    SLACK_WEBHOOK_URL: `${receivers.slack.url}/services/${secret('slack')}`,
    MLOPS_ALERT_WEBHOOK_URL: `${receivers.webhook.url}/hooks/${secret('alert-hook')}`,
    MLFLOW_HEADERS: JSON.stringify({ 'X-Team-Secret': SECRETS.MLFLOW_HEADERS_SECRET }),
    MLOPS_PAGERDUTY_EVENTS_URL: receivers.pagerduty.url,
  };
  for (const [name, value] of Object.entries(environment)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  SECRETS.SLACK_WEBHOOK_URL = environment.SLACK_WEBHOOK_URL!;
  SECRETS.MLOPS_ALERT_WEBHOOK_URL = environment.MLOPS_ALERT_WEBHOOK_URL!;
  stack = await startServingStack(dir);
  env = await createWorkflowTestEnvironment({ dataDir: dir });
  if (!mlflowUnavailable) mlflow = await startMlflow();
});
afterAll(async () => {
  await api?.close();
  await env?.close();
  await stack?.close();
  await mlflow?.stop();
  for (const receiver of Object.values(receivers ?? {})) await receiver.close();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

async function runToEnd(definition: PipelineDefinitionInput, name: string): Promise<unknown> {
  const file = await writeDefinition(dir, definition, name);
  const handle = await env.client.workflow.start('modelPipeline', { taskQueue: env.settings.taskQueue, workflowId: `secrets/${randomUUID()}`, args: [{ pipelineFile: file }] });
  return env.run(() => handle.result().catch((err: unknown) => err));
}

describe('secrets in workflow histories', () => {
  it('no secret value appears in any history of the namespace, raw, JSON-escaped or base64-encoded', async () => {
    const data = await makeDataset(dir, 'data.csv', { seed: 61 });
    const deploy = {
      gateway: { url: stack.gateway.url },
      canary: { steps: [{ weight: 50 }], slaWindow: '2s', interval: '1s', metricsWindow: '1s', minChecksWithEvidence: 1, sla: { errorRate: { max: 0.5 }, latencyP99Ms: { max: 5000 }, minSamples: 1 }, errorRateTest: { enabled: false } },
    };
    const alerts = { pagerduty: {}, slack: {}, webhook: { secretEnv: 'MLOPS_ALERT_WEBHOOK_SECRET' }, retry: { maxAttempts: 1 } };
    const stop = stack.startTraffic('secrets', 60);
    try {
      // Deploys through the gateway (its token), then a rejected version alerts every sink.
      expect(await runToEnd({ ...fraudDefinition(data, { model: 'secrets' }), deploy, alerts }, 'deployed.yaml')).toMatchObject({ outcome: 'promoted' });
      expect(await runToEnd({ ...fraudDefinition(data, { model: 'secrets', evaluate: { gates: { roc_auc: { min: 0.9999 } } } }), alerts }, 'rejected.yaml')).toMatchObject({ outcome: 'rejected' });
    } finally {
      await stop();
    }
    expect(receivers.pagerduty.accepted().length).toBeGreaterThan(0);
    expect(receivers.slack.accepted().length).toBeGreaterThan(0);
    expect(receivers.webhook.accepted().length).toBeGreaterThan(0);

    if (mlflow) {
      const registry = { ...mlflow.registrySection(), authTokenEnv: 'MLFLOW_TRACKING_TOKEN', headersEnv: 'MLFLOW_HEADERS' };
      expect(await runToEnd({ ...fraudDefinition(data, { model: 'secrets-mlflow' }), registry } as PipelineDefinitionInput, 'mlflow.yaml')).toMatchObject({ outcome: 'registered' });
    }

    // A run started by a signed new-data webhook (the API holds the signing secret).
    const definitionFile = await writeDefinition(dir, fraudDefinition(data, { model: 'secrets-hook' }), 'hook.yaml');
    const settings = await resolveApiConfig({ port: 0, signatures: { standardWebhooks: { secretEnv: 'MLOPS_WEBHOOK_SECRET' } }, pipelines: [{ file: definitionFile }] }, { baseDir: dir, env: process.env });
    api = await startWebhookServer({ settings, client: env.client, taskQueue: env.settings.taskQueue, log: () => undefined });
    const answer = await send(api.url, standardWebhookDelivery(SECRETS.MLOPS_WEBHOOK_SECRET!, { model: 'secrets-hook', dataVersion: 'secrets-1' }));
    expect(answer.status).toBe(202);
    await env.run(() => env.client.workflow.getHandle(String(answer.body.workflowId)).result().catch(() => undefined));

    const scan = await scanNamespace(env.client, [...Object.values(SECRETS), ...FIXED_SECRETS]);
    console.log(`secret scan: ${scan.workflows} workflow histories, ${scan.events} events, ${Object.keys(SECRETS).length + FIXED_SECRETS.length} secrets, ${scan.findings.length} findings`);
    expect(scan.workflows).toBeGreaterThanOrEqual(4);
    expect(scan.findings).toEqual([]);
  });
});

describe('the scanner itself', () => {
  it('finds a secret inside a payload at any base64 alignment, and JSON-escaped', () => {
    const value = secret('probe');
    for (const prefix of ['', 'a', 'ab', '{"token":"']) {
      const payload = Buffer.from(`${prefix}${value}"}`).toString('base64');
      expect(encodings(value).some((encoded) => payload.includes(encoded)), `prefix ${JSON.stringify(prefix)}`).toBe(true);
    }
    const quoted = JSON.stringify({ message: `bad "${value}"\n` });
    expect(encodings(`"${value}"`).some((encoded) => quoted.includes(encoded))).toBe(true);
  });
});

/** Every history the namespace lists, searched for each secret in each encoding. */
async function scanNamespace(client: Client, secrets: string[]): Promise<{ workflows: number; events: number; findings: string[] }> {
  const patterns = secrets.flatMap((value) => encodings(value).map((encoded) => ({ value, encoded })));
  const findings: string[] = [];
  let workflows = 0;
  let events = 0;
  for await (const execution of client.workflow.list()) {
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    workflows++;
    events += history.events?.length ?? 0;
    // Payloads as JSON (base64 data) plus every payload decoded, so a value inside one is seen as text too.
    const json = historyToJSON(history);
    const decoded = decodedPayloads(JSON.parse(json)).join('\n');
    for (const { value, encoded } of patterns) {
      if (json.includes(encoded) || decoded.includes(encoded)) findings.push(`${execution.workflowId}: ${value.slice(0, 12)}… (as ${JSON.stringify(encoded.slice(0, 16))}…)`);
    }
  }
  return { workflows, events, findings };
}

/** The value raw, JSON-escaped, and base64 at each of the three byte alignments (the stable middle part). */
function encodings(value: string): string[] {
  const out = new Set([value, JSON.stringify(value).slice(1, -1)]);
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), Buffer.from(value)]).toString('base64');
    // Drop the characters that mix in the padding bytes before and the unknown bytes after.
    out.add(encoded.slice(Math.ceil((offset * 4) / 3), encoded.length - 4));
  }
  return [...out].filter((text) => text.length >= 12);
}

function decodedPayloads(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((item) => decodedPayloads(item, out));
  else if (node && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    if (typeof record.data === 'string' && record.metadata && typeof record.metadata === 'object') out.push(Buffer.from(record.data, 'base64').toString('utf8'));
    for (const value of Object.values(record)) decodedPayloads(value, out);
  }
  return out;
}
