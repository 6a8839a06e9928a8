/**
 * The activity options of canaryRollout, one proxy per kind of work: each says how long the work
 * may take and how hard to retry it.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { DeployActivities } from '../activities/deploy-activities.js';

export const quick = proxyActivities<DeployActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '10 seconds', maximumAttempts: 5 },
});
export const deploying = proxyActivities<DeployActivities>({
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5 },
});
/** Measurements must not stall the window: one quick retry, then the check counts as an error. */
export const measuring = proxyActivities<DeployActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '500 milliseconds', maximumAttempts: 2 },
});
/** Alerts are retried a little, then given up: a paging outage must not stall a rollback. */
export const notifying = proxyActivities<DeployActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 5 },
});
/** Promotion must finish: it keeps retrying until the gateway answers. */
export const mustFinish = proxyActivities<DeployActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '10 seconds' },
});

/** Rollback steps: a few quick retries, then an alert and another round (rollBack never gives up). */
export const rollingBack = proxyActivities<DeployActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '10 seconds', maximumAttempts: 5 },
});
