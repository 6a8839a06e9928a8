export { modelPipeline } from './modelPipeline.js';
export { canaryRollout } from './canaryRollout.js';
export { driftMonitor } from './driftMonitor.js';
export { performanceMonitor } from './performanceMonitor.js';
export { retrainWhenDataChanged } from './retrainWhenDataChanged.js';
export { modelLifecycle } from './modelLifecycle.js';
