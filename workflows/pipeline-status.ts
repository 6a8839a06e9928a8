/** The pipeline's state type lives in src/temporal/pipeline-status.ts (shared with clients); kept for older imports. */
export type * from '../src/temporal/pipeline-status.js';
