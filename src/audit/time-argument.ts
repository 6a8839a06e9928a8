/**
 * The `--since` and `--at` values: an ISO 8601 time (`2026-12-03T14:00:00Z`, `2026-12-03`) or a
 * time relative to now (`2h` = two hours ago; units ms, s, m, h, d, w).
 */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
const RELATIVE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

export class TimeArgumentError extends Error {
  override readonly name = 'TimeArgumentError';
}

export function parseTimeArgument(flag: string, value: string, now: Date = new Date()): Date {
  const text = value.trim();
  const relative = RELATIVE.exec(text);
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS]);
  if (ISO_8601.test(text)) {
    // Nanosecond fractions (Temporal's event times) are cut to what Date holds.
    const parsed = Date.parse(text.replace(/(\.\d{3})\d+/, '$1'));
    if (!Number.isNaN(parsed)) return new Date(parsed);
  }
  throw new TimeArgumentError(`${flag}: expected an ISO 8601 time (e.g. 2026-12-03T14:00:00Z) or a time relative to now (e.g. 90s, 30m, 2h, 7d), got ${JSON.stringify(value)}`);
}
