export { modelPipeline } from './modelPipeline.js';
export { canaryRollout } from './canaryRollout.js';
