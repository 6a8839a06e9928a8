export { modelPipeline } from './modelPipeline.js';
