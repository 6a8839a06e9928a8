/**
 * The one-sided Kolmogorov-Smirnov (Smirnov) distribution: Pr(D+_n > x), as
 * scipy.special.smirnov computes it (van Mulbregt's treatment of the Birnbaum-Tingey sum,
 * with the same special cases and switch-overs). scipy sums in double-double; this sums
 * positive terms in log space with a compensated sum, which agrees to ~1e-12 relative for
 * the sizes the asymptotic two-sample KS test reaches.
 */

/** Natural log of the smallest positive double; exp() below it is 0 (Cephes MINLOG). */
const MIN_LOG = -7.451332191019412076235e2;
/** scipy approximates above this n instead of summing (SMIRNOV_MAX_COMPUTE_N). */
const MAX_COMPUTE_N = 1_000_000;

/** n·x as an unevaluated sum hi + lo (Dekker's exact product). */
function exactProduct(a: number, b: number): { hi: number; lo: number } {
  const hi = a * b;
  const split = 134217729; // 2^27 + 1
  const aBig = split * a;
  const aHi = aBig - (aBig - a);
  const aLo = a - aHi;
  const bBig = split * b;
  const bHi = bBig - (bBig - b);
  const bLo = b - bHi;
  const lo = aHi * bHi - hi + aHi * bLo + aLo * bHi + aLo * bLo;
  return { hi, lo };
}

/** floor(n·x) and the fractional part, exactly. */
function floorOfProduct(n: number, x: number): { floor: number; fraction: number; hi: number; lo: number } {
  const { hi, lo } = exactProduct(n, x);
  let floor = Math.floor(hi);
  let fraction = hi - floor + lo;
  if (fraction < 0) {
    floor -= 1;
    fraction += 1;
  } else if (fraction >= 1) {
    floor += 1;
    fraction -= 1;
  }
  return { floor, fraction, hi, lo };
}

/** scipy.special.smirnov(n, x): the survival function of D+_n. */
export function smirnovSurvival(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1)) return Number.NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;
  const { floor: nxFloor, fraction: alpha, hi: nxHi, lo: nxLo } = floorOfProduct(n, x);
  // x <= 1/n: cdf = x (1 + x)^(n-1)
  if (nxFloor === 0 || (nxFloor === 1 && alpha === 0)) return 1 - x * Math.pow(1 + x, n - 1);
  if (-2 * n * x * x < MIN_LOG) return 0;
  if (nxFloor >= n - 1) return Math.pow(1 - x, n);
  if (n > MAX_COMPUTE_N) {
    const logP = -Math.pow(6 * n * x + 1, 2) / 18 / n;
    return logP < -Math.LN2 ? Math.exp(logP) : 1 + Math.expm1(logP);
  }
  // Lower sum over v = 0 .. floor(n (1 - x)) (the last term excluded when n (1 - x) is an integer).
  let lastV = n - nxFloor - (alpha === 0 ? 0 : 1);
  if (alpha === 0) lastV -= 1;
  const termCount = lastV + 1;
  let sum = 0;
  let compensation = 0;
  let logBinomial = 0;
  let logBinomialError = 0;
  const add = (term: number) => {
    const t = sum + term;
    compensation += Math.abs(sum) >= Math.abs(term) ? sum - t + term : term - t + sum;
    sum = t;
  };
  // v = 0: C(n,0) (1-x)^n / x; the sum is multiplied by x at the end.
  add(Math.pow(1 - x, n) / x);
  const middle = Math.floor(n / 2);
  for (let v = 1; v < termCount; v++) {
    // log C(n, v) grows to ~n: a compensated running sum keeps its rounding from accumulating.
    const step = Math.log((n - v + 1) / v);
    const next = logBinomial + step;
    logBinomialError += Math.abs(logBinomial) >= Math.abs(step) ? logBinomial - next + step : step - next + logBinomial;
    logBinomial = next;
    // u = x + v/n from n·x carried exactly; log(1 - u) by log1p so (n - v)·log stays accurate for large n.
    const u = (nxHi + v + nxLo) / n;
    const logTerm = logBinomial + logBinomialError + (v - 1) * Math.log(u) + (n - v) * Math.log1p(-u);
    const term = Math.exp(logTerm);
    if (Number.isFinite(term) && term !== 0) add(term);
    const current = sum + compensation;
    if (term !== 0) {
      if (4 * (termCount - v) * term < Number.EPSILON * current && v !== termCount - 1) break;
    } else if (v > middle) {
      break;
    }
  }
  const survival = x * (sum + compensation);
  return Math.min(1, Math.max(0, survival));
}
