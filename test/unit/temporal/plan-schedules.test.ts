import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { planSchedules } from '../../../src/temporal/schedules.js';

async function definitionFile(monitor: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mlops-schedules-'));
  const file = path.join(dir, 'pipeline.yaml');
  await writeFile(file, stringify({ model: 'fraud', data: { source: 'data.csv', target: 'is_fraud' }, monitor }));
  return file;
}

describe('planSchedules', () => {
  it('plans one schedule per monitor section, each running its workflow on the definition file', async () => {
    const file = await definitionFile({ drift: { schedule: '0 * * * *' }, performance: { schedule: '30 4 * * *', window: '6h' }, retrain: { schedule: '0 2 * * *' } });
    const { model, schedules } = await planSchedules(file);
    expect(model).toBe('fraud');
    expect(schedules).toEqual([
      { scheduleId: 'drift/fraud', workflowType: 'driftMonitor', cron: '0 * * * *', args: [{ pipelineFile: file }] },
      { scheduleId: 'performance/fraud', workflowType: 'performanceMonitor', cron: '30 4 * * *', args: [{ pipelineFile: file }] },
      { scheduleId: 'retrain/fraud', workflowType: 'retrainWhenDataChanged', cron: '0 2 * * *', args: [{ pipelineFile: file, trigger: 'schedule' }] },
    ]);
  });

  it('gives the performance check its default daily cron and plans nothing for absent sections', async () => {
    const { schedules } = await planSchedules(await definitionFile({ performance: {} }));
    expect(schedules.map((s) => [s.scheduleId, s.cron])).toEqual([['performance/fraud', '0 3 * * *']]);
  });
});
