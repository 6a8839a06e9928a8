/** The worker process: `npx tsx workers/main.ts` (the demo and `mlops worker` start it for you). */
import { settingsFromEnv } from '../src/temporal/settings.js';
import { codeVersion } from '../src/temporal/code-version.js';
import { createPipelineWorker } from './pipeline-worker.js';

const settings = settingsFromEnv();
const worker = await createPipelineWorker({ settings, codeVersion: codeVersion() });
console.log(`worker: polling task queue "${settings.taskQueue}" on ${settings.temporalAddress} (data in ${settings.dataDir})`);
await worker.run();
