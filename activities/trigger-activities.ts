/**
 * What the retraining triggers (schedule, drift) need before they start a run: the version of
 * the data the definition names, i.e. the sha256 of its bytes, so a run is keyed by its data
 * (`pipeline/<model>/<data version>`) whichever trigger starts it.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { PipelineDefinition } from '../src/spec/schema.js';
import { currentDataVersion } from '../src/data/data-source-snapshot.js';
import { checkDataSource } from '../src/policy/check-pipeline.js';
import type { WorkerPolicy } from '../src/policy/worker-policy.js';

export function createTriggerActivities(deps: { policy: WorkerPolicy; dataDir: string }) {
  return {
    /** A file is hashed where it is; an s3:// source is snapshotted on this worker (the run may then read it from there). */
    async currentDataVersion(args: { definition: PipelineDefinition }): Promise<{ dataVersion: string; sha256: string }> {
      const { data, storage } = args.definition;
      checkDataSource(deps.policy, data.source);
      try {
        return await currentDataVersion(data.source, deps.dataDir, { format: data.format, storage });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const text = (err as Error).message;
        const message = text.startsWith('data.source') ? text : `cannot read the data at ${data.source} (data.source): ${text}`;
        // A missing file or object is the definition's problem: retrying will not make it appear sooner than the next trigger.
        if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES' || (err as Error).name === 'DatasetError') throw ApplicationFailure.nonRetryable(message, 'DataSourceUnreadable');
        throw new Error(message);
      }
    },
  };
}

export type TriggerActivities = ReturnType<typeof createTriggerActivities>;
