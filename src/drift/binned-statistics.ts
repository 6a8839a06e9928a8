/**
 * The binned drift statistics and their binning, with Evidently's semantics
 * (evidently.legacy.calculations.stattests, 0.4 to 0.7) and numpy's bin edges:
 * - Jensen-Shannon distance: scipy.spatial.distance.jensenshannon (natural log) of the shares,
 *   no zero fill;
 * - PSI = Σ (r − c)·ln(r/c) and KL = scipy.stats.entropy(r, c), both after Evidently's zero fill;
 * - Sturges bins over the combined min..max as numpy.histogram_bin_edges(bins='sturges').
 */

/** Evidently's zero fill: empty bins get 1e-4, or min_nonzero/1e6 when the smallest non-zero share is ≤ 1e-4. */
export function fillZeroShares(shares: readonly number[]): number[] {
  let smallest = Number.POSITIVE_INFINITY;
  for (const share of shares) if (share !== 0 && share < smallest) smallest = share;
  const fill = smallest <= 1e-4 ? smallest / 1e6 : 1e-4;
  return shares.map((share) => (share === 0 ? fill : share));
}

/** x·ln(x/y) with scipy.special.rel_entr's conventions for zeros. */
function relativeEntropy(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Number.POSITIVE_INFINITY;
}

function sum(values: readonly number[]): number {
  let total = 0;
  let compensation = 0;
  for (const value of values) {
    const t = total + value;
    compensation += Math.abs(total) >= Math.abs(value) ? total - t + value : value - t + total;
    total = t;
  }
  return total + compensation;
}

/** scipy.spatial.distance.jensenshannon(p, q) with the natural log. */
export function jensenShannonDistance(p: readonly number[], q: readonly number[]): number {
  const pSum = sum(p);
  const qSum = sum(q);
  const pn = p.map((v) => v / pSum);
  const qn = q.map((v) => v / qSum);
  const left: number[] = [];
  const right: number[] = [];
  for (let i = 0; i < pn.length; i++) {
    const m = (pn[i]! + qn[i]!) / 2;
    left.push(relativeEntropy(pn[i]!, m));
    right.push(relativeEntropy(qn[i]!, m));
  }
  return Math.sqrt((sum(left) + sum(right)) / 2);
}

/** Population stability index over zero-filled shares. */
export function populationStabilityIndex(reference: readonly number[], current: readonly number[]): number {
  return sum(reference.map((r, i) => (r - current[i]!) * Math.log(r / current[i]!)));
}

/** scipy.stats.entropy(reference, current): KL divergence after normalising both. */
export function klDivergence(reference: readonly number[], current: readonly number[]): number {
  const rSum = sum(reference);
  const cSum = sum(current);
  return sum(reference.map((r, i) => relativeEntropy(r / rSum, current[i]! / cSum)));
}

/**
 * numpy.histogram_bin_edges(combined, bins='sturges') from the combined min, max and size:
 * width = ptp / (log2(n) + 1), bins = ceil(ptp / width), edges = linspace(min, max, bins + 1).
 * A constant combined range becomes [min − 0.5, max + 0.5] with one bin.
 */
export function sturgesEdges(min: number, max: number, size: number): number[] {
  let first = min;
  let last = max;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  const width = (max - min) / (Math.log2(size) + 1);
  const bins = width ? Math.ceil((last - first) / width) : 1;
  return linspace(first, last, bins + 1);
}

/** numpy.linspace(start, stop, num) with endpoint: i·step + start, the last edge exactly stop. */
export function linspace(start: number, stop: number, num: number): number[] {
  const div = num - 1;
  const delta = stop - start;
  const step = delta / div;
  const edges: number[] = [];
  for (let i = 0; i < num; i++) edges.push(step === 0 ? ((i / div) * delta) + start : i * step + start);
  if (num > 1) edges[num - 1] = stop;
  return edges;
}

/** Shares per key (divided by the column's total), as Evidently's per-value binning does. */
export function sharesOf(counts: readonly number[], total: number): number[] {
  return counts.map((count) => count / total);
}
