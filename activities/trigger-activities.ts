/**
 * What the retraining triggers (schedule, drift) need before they start a run: the version of
 * the data the definition names, i.e. the sha256 of its bytes, so a run is keyed by its data
 * (`pipeline/<model>/<data version>`) whichever trigger starts it.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { PipelineDefinition } from '../src/spec/schema.js';
import { sha256File } from '../src/data/content-hash.js';
import { checkDataSource } from '../src/policy/check-pipeline.js';
import type { WorkerPolicy } from '../src/policy/worker-policy.js';

/** The same 16 hex characters the snapshot's dataVersion has. */
const DATA_VERSION_LENGTH = 16;

export function createTriggerActivities(deps: { policy: WorkerPolicy }) {
  return {
    async currentDataVersion(args: { definition: PipelineDefinition }): Promise<{ dataVersion: string; sha256: string }> {
      checkDataSource(deps.policy, args.definition.data.source);
      try {
        const { sha256 } = await sha256File(args.definition.data.source);
        return { dataVersion: sha256.slice(0, DATA_VERSION_LENGTH), sha256 };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const message = `cannot read the data at ${args.definition.data.source} (data.source): ${(err as Error).message}`;
        // A missing file is the definition's problem: retrying will not make it appear sooner than the next trigger.
        if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') throw ApplicationFailure.nonRetryable(message, 'DataSourceUnreadable');
        throw new Error(message);
      }
    },
  };
}

export type TriggerActivities = ReturnType<typeof createTriggerActivities>;
