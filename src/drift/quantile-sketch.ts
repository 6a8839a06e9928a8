/**
 * A quantile grid (values at probabilities i/Q) read as a distribution: its CDF is linear
 * between consecutive grid points and jumps where grid points repeat (atoms).
 */

/** Index of the first element > x. */
export function upperBound(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element ≥ x. */
export function lowerBound(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** P(X ≤ x). */
export function sketchCdf(quantiles: Float64Array, x: number): number {
  const last = quantiles.length - 1;
  if (x < quantiles[0]!) return 0;
  if (x >= quantiles[last]!) return 1;
  const i = upperBound(quantiles, x) - 1;
  const lo = quantiles[i]!;
  return (i + (x - lo) / (quantiles[i + 1]! - lo)) / last;
}

/** P(X < x). */
export function sketchCdfBelow(quantiles: Float64Array, x: number): number {
  const last = quantiles.length - 1;
  if (x <= quantiles[0]!) return 0;
  if (x > quantiles[last]!) return 1;
  const i = lowerBound(quantiles, x) - 1;
  const lo = quantiles[i]!;
  return (i + (x - lo) / (quantiles[i + 1]! - lo)) / last;
}

/** The quantile function at probability p, linear between grid points. */
export function sketchQuantile(quantiles: Float64Array, p: number): number {
  const last = quantiles.length - 1;
  const position = Math.min(Math.max(p, 0), 1) * last;
  const i = Math.min(Math.floor(position), last - 1);
  const fraction = position - i;
  return quantiles[i]! + (quantiles[i + 1]! - quantiles[i]!) * fraction;
}

/** A distribution given by its CDF (P(X ≤ x)), its left limits (P(X < x)) and its breakpoints. */
export interface CdfSource {
  weight: number;
  cdf(x: number): number;
  cdfBelow(x: number): number;
  breakpoints: ArrayLike<number>;
}

/**
 * Quantiles at i / quantileCount of a weighted mixture of distributions: the smallest x with
 * F(x) ≥ p, interpolating linearly where F is linear between breakpoints.
 */
export function mixtureQuantiles(sources: readonly CdfSource[], quantileCount: number): Float64Array {
  const points = new Set<number>();
  for (const source of sources) for (let i = 0; i < source.breakpoints.length; i++) points.add(source.breakpoints[i]!);
  const xs = Float64Array.from(points).sort();
  const total = sources.reduce((sum, source) => sum + source.weight, 0);
  const at = new Float64Array(xs.length);
  const below = new Float64Array(xs.length);
  xs.forEach((x, k) => {
    let f = 0;
    let fb = 0;
    for (const source of sources) {
      f += source.weight * source.cdf(x);
      fb += source.weight * source.cdfBelow(x);
    }
    at[k] = f / total;
    below[k] = fb / total;
  });
  const result = new Float64Array(quantileCount + 1);
  let k = 0;
  for (let i = 0; i <= quantileCount; i++) {
    const p = i / quantileCount;
    if (i === 0) {
      result[i] = xs[0]!;
      continue;
    }
    while (k < xs.length - 1 && at[k]! < p && below[k + 1]! < p) k++;
    if (at[k]! >= p || k === xs.length - 1) result[i] = xs[k]!;
    else {
      const rise = below[k + 1]! - at[k]!;
      result[i] = rise > 0 ? xs[k]! + ((p - at[k]!) / rise) * (xs[k + 1]! - xs[k]!) : xs[k + 1]!;
    }
  }
  result[quantileCount] = xs[xs.length - 1]!;
  return result;
}
