/** Categorical column profiles: value counts, capped at maxCategories. */
import type { CategoricalColumnProfile, ProfileOptions } from './profile.js';

/** From dictionary codes (-1 = missing), as the Table holds strings. */
export function categoricalProfileFromCodes(name: string, codes: Int32Array, dictionary: readonly string[], options: ProfileOptions): CategoricalColumnProfile {
  const tally = new Float64Array(dictionary.length);
  let missing = 0;
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i]!;
    if (code < 0) missing++;
    else tally[code]!++;
  }
  const counts = new Map<string, number>();
  tally.forEach((count, code) => {
    if (count > 0) counts.set(dictionary[code]!, (counts.get(dictionary[code]!) ?? 0) + count);
  });
  return categoricalProfileFromCounts(name, codes.length, counts, options);
}

/**
 * From value counts (missing values not among them). `otherCount` / `truncated` carry pooled
 * rows of an input that was already capped.
 */
export function categoricalProfileFromCounts(
  name: string,
  rows: number,
  counts: ReadonlyMap<string, number>,
  options: ProfileOptions,
  pooled: { otherCount: number; truncated: boolean } = { otherCount: 0, truncated: false },
): CategoricalColumnProfile {
  const entries = [...counts].filter(([, count]) => count > 0).sort(byCountThenName);
  const kept = entries.slice(0, options.maxCategories);
  let otherCount = pooled.otherCount;
  for (const [, count] of entries.slice(options.maxCategories)) otherCount += count;
  const count = kept.reduce((total, [, n]) => total + n, 0) + otherCount;
  return {
    name,
    kind: 'categorical',
    rows,
    missing: rows - count,
    count,
    categories: kept.map(([category]) => category),
    counts: kept.map(([, n]) => n),
    otherCount,
    truncated: pooled.truncated || entries.length > options.maxCategories,
  };
}

function byCountThenName(a: [string, number], b: [string, number]): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

export function countsOf(column: CategoricalColumnProfile): Map<string, number> {
  return new Map(column.categories.map((category, i) => [category, column.counts[i]!]));
}
