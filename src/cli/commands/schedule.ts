/** `mlops schedule apply|list|pause|unpause|trigger|delete`: the Temporal Schedules of our pipelines. */
import { settingsFromEnv } from '../../temporal/settings.js';
import { applySchedules } from '../../temporal/schedules.js';
import { connectClient } from '../temporal-client.js';

export async function scheduleApplyCommand(file: string): Promise<number> {
  const settings = settingsFromEnv();
  const client = await connectClient(settings);
  const results = await applySchedules(client, settings, file);
  if (results.length === 0) console.log('the definition asks for no schedules (monitor.drift / monitor.retrain)');
  for (const r of results) console.log(`${r.action.padEnd(9)} ${r.scheduleId}${r.cron ? `  (${r.cron})` : ''}`);
  return 0;
}

export async function scheduleListCommand(): Promise<number> {
  const client = await connectClient(settingsFromEnv());
  let any = false;
  for await (const schedule of client.schedule.list()) {
    if (!/^(drift|retrain)\//.test(schedule.scheduleId)) continue;
    any = true;
    const next = schedule.info.nextActionTimes[0];
    const action = schedule.action as { workflowType?: string };
    console.log(`${schedule.scheduleId.padEnd(32)} ${(action.workflowType ?? '').padEnd(14)} ${schedule.state.paused ? 'paused ' : 'active '} next ${next ? next.toISOString() : '-'}  ${schedule.state.note ?? ''}`);
  }
  if (!any) console.log('no schedules; create them with: mlops schedule apply <pipeline.yaml>');
  return 0;
}

export async function scheduleActionCommand(action: 'pause' | 'unpause' | 'trigger' | 'delete', scheduleId: string): Promise<number> {
  const client = await connectClient(settingsFromEnv());
  const handle = client.schedule.getHandle(scheduleId);
  if (action === 'pause') await handle.pause('paused with mlops schedule pause');
  if (action === 'unpause') await handle.unpause('unpaused with mlops schedule unpause');
  if (action === 'trigger') await handle.trigger();
  if (action === 'delete') await handle.delete();
  console.log(`${action}: ${scheduleId}`);
  return 0;
}
