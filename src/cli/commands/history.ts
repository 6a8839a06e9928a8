/**
 * `mlops history <model> [--since T] [--at T] [--json] [--pipeline <file>]`: the model's audit
 * timeline (training runs, registrations, traffic changes, check summaries, approvals, manual
 * actions, promotions and rollbacks) in time order, and with --at the split that served at T.
 */
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { loadDefinitionFile } from '../../spec/load.js';
import { settingsFromEnv } from '../../temporal/settings.js';
import { collectModelHistory, UnknownModelError } from '../../audit/model-history.js';
import { historySourcesOf } from '../../audit/history-sources.js';
import { renderModelHistory } from '../../audit/render-timeline.js';
import { parseTimeArgument, TimeArgumentError } from '../../audit/time-argument.js';
import { connectClient } from '../temporal-client.js';

export interface HistoryOptions {
  since?: string;
  at?: string;
  json?: boolean;
  /** The model's definition: its registry and gateway (default: embedded registry, local gateway). */
  pipeline?: string;
}

export async function historyCommand(model: string, options: HistoryOptions): Promise<number> {
  let since: Date | undefined;
  let at: Date | undefined;
  try {
    since = options.since === undefined ? undefined : parseTimeArgument('--since', options.since);
    at = options.at === undefined ? undefined : parseTimeArgument('--at', options.at);
  } catch (err) {
    if (!(err instanceof TimeArgumentError)) throw err;
    console.error(`mlops history: ${err.message}`);
    return 2;
  }
  const definition = options.pipeline ? (await loadDefinitionFile(path.resolve(options.pipeline))).definition : undefined;
  if (definition && definition.model !== model) {
    console.error(`mlops history: ${options.pipeline} defines model "${definition.model}", not "${model}"`);
    return 2;
  }
  const settings = settingsFromEnv();
  let temporal: Client | undefined;
  try {
    temporal = await connectClient(settings);
  } catch {
    // The registry and the gateway still tell most of the story; the note says what is missing.
  }
  const sources = await historySourcesOf(definition, { dataDir: settings.dataDir, temporal }).open();
  try {
    const history = await collectModelHistory(model, sources, { since, at });
    console.log(options.json ? JSON.stringify(history, null, 2) : renderModelHistory(history));
    return 0;
  } catch (err) {
    if (!(err instanceof UnknownModelError)) throw err;
    console.error(`mlops history: ${err.message}`);
    return 1;
  } finally {
    await sources.registry.close();
    await temporal?.connection.close();
  }
}
