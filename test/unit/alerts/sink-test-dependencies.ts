/** Sink dependencies for tests: real HTTP, but waits are recorded (and kept short) and logs captured. */
import type { DeliveryPolicy, SinkDependencies } from '../../../src/alerts/alert-sink.js';

export interface RecordingDependencies extends SinkDependencies {
  waits: number[];
  lines: string[];
}

/** A PagerDuty routing key is 32 characters; this one is recognisable in any leak. */
export const ROUTING_KEY = 'R0UT1NGKEYSECRET0123456789abcdef';

export function recordingDependencies(env: NodeJS.ProcessEnv, policy: Partial<DeliveryPolicy> = {}): RecordingDependencies {
  const waits: number[] = [];
  const lines: string[] = [];
  return {
    env,
    policy: { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 2_000, timeoutMs: 2_000, ...policy },
    log: (line) => lines.push(line),
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0.5,
    waits,
    lines,
  };
}
