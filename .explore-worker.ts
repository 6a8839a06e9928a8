import { Worker } from '@temporalio/worker';
import { createPipelineActivities } from './activities/pipeline-activities.js';
const worker = await Worker.create({
  taskQueue: 'explore-queue',
  workflowsPath: '/work/main/workflows/index.ts',
  activities: createPipelineActivities({ dataDir: '/tmp/uiexp/data', codeVersion: 'explore' }),
});
console.log('worker up');
await worker.run();
