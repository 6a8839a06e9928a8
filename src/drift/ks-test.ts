/**
 * The two-sample Kolmogorov-Smirnov test as scipy.stats.ks_2samp (two-sided, method 'auto')
 * computes it: the exact null distribution when max(n1, n2) ≤ 10,000, otherwise the
 * asymptotic kstwo.sf(D, round(n1·n2 / (n1 + n2))).
 */
import { kolmogorovSurvival } from './kolmogorov-distribution.js';
import { roundHalfToEven } from './special-functions.js';

/** scipy's MAX_AUTO_N: 'auto' is exact up to this sample size. */
export const KS_EXACT_MAX_N = 10_000;

export interface KsResult {
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymptotic';
}

/**
 * The p-value for statistic D between samples of sizes n1 and n2. In exact mode D is snapped
 * to the lattice h / lcm(n1, n2) first, and that snapped D is what scipy reports.
 */
export function ksTwoSampleTest(statistic: number, n1: number, n2: number): KsResult {
  if (!(n1 > 0 && n2 > 0)) throw new RangeError('ks_2samp needs two non-empty samples');
  if (Math.max(n1, n2) <= KS_EXACT_MAX_N) {
    const exact = exactPValue(n1, n2, statistic);
    if (exact) return { statistic: exact.statistic, pValue: clip(exact.pValue), method: 'exact' };
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const effective = roundHalfToEven((m * n) / (m + n));
  return { statistic, pValue: clip(kolmogorovSurvival(effective, statistic)), method: 'asymptotic' };
}

const clip = (p: number) => Math.min(1, Math.max(0, p));

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** undefined when the exact computation fails numerically (scipy then falls back to asymptotic). */
function exactPValue(n1: number, n2: number, d: number): { statistic: number; pValue: number } | undefined {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = roundHalfToEven(d * lcm);
  const snapped = h / lcm;
  if (h === 0) return { statistic: snapped, pValue: 1 };
  const p = n1 === n2 ? probabilityOutsideSquare(n1, h) : probabilityOutsideInside(n1, n2, g, h);
  if (!Number.isFinite(p) || p < 0 || p > 1) return undefined;
  return { statistic: snapped, pValue: p };
}

/** Pr(D_{n,n} ≥ h/n): 2 Σ (-1)^(k+1) C(2n, n-kh) / C(2n, n), Horner-like to avoid cancellation. */
function probabilityOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * 1 - (share of lattice paths from (0,0) to (m,n) staying strictly inside |x/m - y/n| < h/lcm),
 * computed directly as the outer share (Viehmann's recursion), one sliding column at a time.
 */
function probabilityOutsideInside(m0: number, n0: number, g: number, h: number): number {
  const [m, n] = m0 >= n0 ? [m0, n0] : [n0, m0];
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj]! * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1]!;
}
