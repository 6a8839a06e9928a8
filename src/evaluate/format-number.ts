/** A measured number as a person reads it in a gate detail: four significant digits, no trailing zeros. */
export function formatNumber(value: number, significantDigits = 4): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(significantDigits)));
}

/**
 * Two numbers formatted with enough digits to tell them apart, so a failed gate never reads
 * `0.85 < min 0.85`.
 */
export function formatPair(first: number, second: number): [string, string] {
  for (let digits = 4; digits < 17; digits++) {
    const pair: [string, string] = [formatNumber(first, digits), formatNumber(second, digits)];
    if (pair[0] !== pair[1] || first === second) return pair;
  }
  return [formatNumber(first, 17), formatNumber(second, 17)];
}
