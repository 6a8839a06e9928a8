import { z } from 'zod';
import { quoteValue } from './problems.js';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration written the way Temporal and Argo users write it: `500ms`, `30s`, `15m`, `2h`, `1d`. */
export const Duration = z
  .string({ error: 'expected a duration such as "30s", "15m" or "2h"' })
  .regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, { error: (issue) => `expected a duration such as "30s", "15m" or "2h", got ${quoteValue(issue.input)}` });

export function durationToMs(duration: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(duration);
  if (!match) throw new Error(`not a duration: ${duration}`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** The duration in ms, or undefined when it is not one (refinements see values that failed their own checks). */
export function durationMsIfValid(duration: unknown): number | undefined {
  return typeof duration === 'string' && /^\d+(\.\d+)?(ms|s|m|h|d)$/.test(duration) ? durationToMs(duration) : undefined;
}
