/** The canary's state type lives in src/temporal/canary-status.ts (shared with clients); kept for older imports. */
export type * from '../src/temporal/canary-status.js';
