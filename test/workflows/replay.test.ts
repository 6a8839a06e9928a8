import { describe, expect, it } from 'vitest';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { inject } from 'vitest';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';

const historiesDir = path.join(import.meta.dirname, 'histories');

// Histories recorded from real runs (scripts/record-history). If a change to workflow code
// would make an in-flight run take a different path, replay fails here: guard it with patched().
describe('recorded workflow histories', async () => {
  const files = (await readdir(historiesDir)).filter((f) => f.endsWith('.json'));

  it('exist', () => expect(files.length).toBeGreaterThan(0));

  for (const file of files) {
    it(`replay without nondeterminism: ${file}`, async () => {
      const history = historyFromJSON(JSON.parse(await readFile(path.join(historiesDir, file), 'utf8')));
      await expect(
        Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, `replay-${file}`),
      ).resolves.toBeUndefined();
    });
  }

  it('detects a workflow that no longer matches its history', async () => {
    const history = JSON.parse(await readFile(path.join(historiesDir, files[0]!), 'utf8'));
    // Drop the first scheduled activity: the workflow code still schedules it, so replay must fail.
    const index = history.events.findIndex((e: { eventType: string }) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED');
    history.events[index].activityTaskScheduledEventAttributes.activityType.name = 'somethingElse';
    await expect(Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, historyFromJSON(history), 'tampered')).rejects.toThrow(/[Nn]ondetermin/);
  });
});
