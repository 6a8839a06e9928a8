/**
 * `mlops run <pipeline.yaml>`: starts `modelPipeline` under its business key and follows it,
 * printing each step with its timing, then the outcome, the version and the Web UI link.
 */
import path from 'node:path';
import { checkDefinition, checkDefinitionFile } from '../../policy/check-pipeline.js';
import { PolicyViolation } from '../../policy/policy-violation.js';
import { configuredWorkerPolicy } from '../../policy/worker-policy.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { loadDefinitionFile } from '../../spec/load.js';
import { SpecError } from '../../spec/spec-error.js';
import { startPipeline } from '../../temporal/start-pipeline.js';
import { settingsFromEnv, webUiLink } from '../../temporal/settings.js';
import type { PipelineResult, PipelineStatus } from '../../temporal/pipeline-status.js';
import { canaryStatusQuery, pipelineStatusQuery } from '../../temporal/contract.js';
import { connectClient } from '../temporal-client.js';

export interface RunOptions {
  follow: boolean;
  trigger: 'cli' | 'api';
}

export async function runCommand(file: string, options: RunOptions): Promise<number> {
  const settings = settingsFromEnv();
  try {
    // The worker's policy, when this shell names it (MLOPS_WORKER_POLICY): refused here rather than by the worker.
    const policy = configuredWorkerPolicy();
    if (policy) checkDefinitionFile(policy, path.resolve(file));
    const { definition } = await loadDefinitionFile(file);
    if (policy) checkDefinition(policy, definition, { kind: 'file', file: path.resolve(file) });
  } catch (err) {
    if (err instanceof SpecError || err instanceof PolicyViolation) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
  const client = await connectClient(settings);
  const started = await startPipeline(client, settings, file, options.trigger);
  const handle = started.handle as WorkflowHandle;
  console.log(started.existing ? `${started.workflowId} already exists for this data; following that run (change the data to train again)` : `started ${started.workflowId}`);
  const description = await handle.describe();
  console.log(`Web UI: ${webUiLink(settings, started.workflowId, description.runId)}`);
  if (!options.follow) return 0;
  return followPipeline(client, handle);
}

/** Prints a pipeline run's steps, canary decisions and outcome as they happen; returns the exit code. */
export async function followPipeline(client: Client, handle: WorkflowHandle): Promise<number> {
  let printed = 0;
  const printSteps = (status: PipelineStatus | undefined) => {
    for (const step of status?.steps.slice(printed) ?? []) {
      if (!step.finishedAt) break;
      const mark = step.error ? '✗' : '✓';
      console.log(`  ${mark} ${step.step.padEnd(16)} ${`${step.seconds?.toFixed(1)}s`.padStart(7)}  ${step.error ? step.error.split('\n')[0] : (step.summary ?? '')}`);
      printed++;
    }
  };
  // The canary runs as a child workflow; its decisions are printed as they happen.
  let canaryEventsPrinted = 0;
  const printCanary = async (status: PipelineStatus | undefined) => {
    if (!status?.model || status.version === undefined || !status.steps.some((s) => s.step === 'canary')) return;
    const canary = await client.workflow.getHandle(`canary/${status.model}/${status.version}`).query(canaryStatusQuery).catch(() => undefined);
    for (const event of canary?.events.slice(canaryEventsPrinted) ?? []) {
      console.log(`      ${event.at.slice(11, 19)}  ${event.message}`);
      canaryEventsPrinted++;
    }
  };
  const resultPromise = handle.result() as Promise<PipelineResult>;
  let done = false;
  resultPromise.then(() => (done = true), () => (done = true));
  while (!done) {
    const status = await handle.query(pipelineStatusQuery).catch(() => undefined);
    await printCanary(status);
    printSteps(status);
    await Promise.race([sleep(500), resultPromise.catch(() => undefined)]);
  }
  await printCanary(await handle.query(pipelineStatusQuery).catch(() => undefined));
  try {
    const result = await resultPromise;
    printSteps({ trigger: '', steps: result.steps });
    for (const gate of result.gates) console.log(`    ${gate.passed ? 'pass' : 'FAIL'}  ${gate.detail}`);
    if (result.outcome === 'promoted') {
      console.log(`outcome: promoted ${result.model} v${result.version} to champion (${result.canary?.reason})`);
      return 0;
    }
    if (result.outcome === 'rolled-back') {
      console.log(`outcome: rolled back ${result.model} v${result.version}${result.canary?.championVersion !== undefined ? `; v${result.canary.championVersion} stays champion` : ''} (${result.canary?.reason})`);
      return 0;
    }
    if (result.outcome === 'registered') {
      console.log(`outcome: registered ${result.model} v${result.version} as challenger (${formatMetrics(result.metrics)})`);
      return 0;
    }
    if (result.outcome === 'skipped') {
      console.log(`outcome: registered ${result.model} v${result.version}, not rolled out: ${result.reasons.at(-1)?.replace(/^not rolled out: /, '')}`);
      return 0;
    }
    console.log(`outcome: rejected ${result.model} v${result.version}: ${result.reasons.join('; ')}`);
    return 2;
  } catch (err) {
    printSteps(await handle.query(pipelineStatusQuery).catch(() => undefined));
    const cause = err instanceof WorkflowFailedError ? err.cause : err;
    console.error(`outcome: failed: ${(cause as Error).message}`);
    return 1;
  }
}

function formatMetrics(metrics: Record<string, number>): string {
  return ['roc_auc', 'accuracy', 'f1', 'log_loss']
    .filter((m) => metrics[m] !== undefined)
    .map((m) => `${m} ${metrics[m]!.toFixed(4)}`)
    .join(', ');
}
