/**
 * The few special functions the drift tests need, accurate to a few ulps so p-values agree
 * with scipy's to well under 1e-9 (relative).
 *
 * The normal CDF follows Cephes' ndtr (S. L. Moshier), which scipy uses, with its rational
 * approximations; the regularized upper incomplete gamma uses the classic series /
 * continued-fraction split, which is accurate to ~1e-15 relative where scipy's igamc is.
 */

const SQRT1_2 = Math.SQRT1_2;
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
/** exp() of anything below this underflows to 0 (Cephes MAXLOG). */
const MAX_LOG = 7.09782712893383996843e2;

/** Horner evaluation, highest power first (Cephes polevl). */
function polynomial(x: number, coefficients: readonly number[]): number {
  let result = 0;
  for (const c of coefficients) result = result * x + c;
  return result;
}

/** Same, with an implicit leading coefficient 1 (Cephes p1evl). */
function monicPolynomial(x: number, coefficients: readonly number[]): number {
  let result = 1;
  for (const c of coefficients) result = result * x + c;
  return result;
}

// Cephes ndtr.c coefficients (erfc on [1, 8) and [8, inf); erf on [0, 1)).
const ERFC_P = [2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0, 4.86371970985681366614e1,
  1.96520832956077098242e2, 5.26445194995477358631e2, 9.3452852717195760754e2, 1.02755188689515710272e3, 5.57535335369399327526e2];
const ERFC_Q = [1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2, 9.75708501743205489753e2,
  1.82390916687909736289e3, 2.24633760818710981792e3, 1.65666309194161350182e3, 5.57535340817727675546e2];
const ERFC_R = [5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0, 6.16021097993053585195e0,
  7.4097426995044893916e0, 2.9788666537210024067e0];
const ERFC_S = [2.2605286322011727659e0, 9.39603524938001434673e0, 1.20489539808096656605e1, 1.70814450747565897222e1,
  9.60896809063285878198e0, 3.3690764510008151605e0];
const ERF_T = [9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3, 7.00332514112805075473e3, 5.55923013010394962768e4];
const ERF_U = [3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3, 2.26290000613890934246e4, 4.92673942608635921086e4];

export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return -erf(-x);
  if (x > 1) return 1 - erfc(x);
  const z = x * x;
  return (x * polynomial(z, ERF_T)) / monicPolynomial(z, ERF_U);
}

export function erfc(a: number): number {
  if (Number.isNaN(a)) return Number.NaN;
  const x = Math.abs(a);
  if (x < 1) return 1 - erf(a);
  const z = -a * a;
  if (z < -MAX_LOG) return a < 0 ? 2 : 0;
  const e = Math.exp(z);
  const ratio = x < 8 ? polynomial(x, ERFC_P) / monicPolynomial(x, ERFC_Q) : polynomial(x, ERFC_R) / monicPolynomial(x, ERFC_S);
  let y = e * ratio;
  if (a < 0) y = 2 - y;
  if (y !== 0) return y;
  return a < 0 ? 2 : 0;
}

/** Standard normal CDF, Φ(a) (scipy.special.ndtr). */
export function normalCdf(a: number): number {
  if (Number.isNaN(a)) return Number.NaN;
  const x = a * SQRT1_2;
  const z = Math.abs(x);
  if (z < 1) return 0.5 + 0.5 * erf(x);
  const y = 0.5 * erfc(z);
  return x > 0 ? 1 - y : y;
}

/** log Γ(x) for x > 0: Stirling's series above 10, the recurrence below it. */
export function logGamma(x: number): number {
  if (!(x > 0)) return x === 0 ? Number.POSITIVE_INFINITY : Number.NaN;
  if (x < 10) {
    let shift = 0;
    let product = 1;
    let y = x;
    while (y < 10) {
      product *= y;
      y += 1;
      // Keep the product in range; its log is summed in pieces.
      if (product > 1e250) {
        shift += Math.log(product);
        product = 1;
      }
    }
    return logGammaStirling(y) - shift - Math.log(product);
  }
  return logGammaStirling(x);
}

function logGammaStirling(x: number): number {
  const inverse = 1 / x;
  const inverse2 = inverse * inverse;
  // Bernoulli terms B2k / (2k (2k-1) x^(2k-1)), k = 1..8: enough for x >= 10 at double precision.
  const series = inverse * (1 / 12 + inverse2 * (-1 / 360 + inverse2 * (1 / 1260 + inverse2 * (-1 / 1680 + inverse2 * (1 / 1188
    + inverse2 * (-691 / 360360 + inverse2 * (1 / 156 + inverse2 * (-3617 / 122400))))))));
  return (x - 0.5) * Math.log(x) - x + LOG_SQRT_2PI + series;
}

const GAMMA_EPSILON = 1e-17;
const GAMMA_MAX_ITERATIONS = 100_000;

/** Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a) (scipy.special.gammaincc). */
export function regularizedGammaUpper(a: number, x: number): number {
  if (Number.isNaN(a) || Number.isNaN(x) || a < 0 || x < 0) return Number.NaN;
  if (a === 0) return x > 0 ? 0 : Number.NaN;
  if (x === 0) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  const logPrefactor = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) return 1 - Math.exp(logPrefactor) * lowerGammaSeries(a, x);
  return Math.exp(logPrefactor) * upperGammaContinuedFraction(a, x);
}

/** Σ x^n / (a (a+1) ... (a+n)): P(a, x) = prefactor × this. */
function lowerGammaSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < GAMMA_MAX_ITERATIONS; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * GAMMA_EPSILON) break;
  }
  return sum;
}

/** Lentz's evaluation of the continued fraction for Q(a, x) / prefactor. */
function upperGammaContinuedFraction(a: number, x: number): number {
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < GAMMA_MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) <= Number.EPSILON) break;
  }
  return h;
}

/** Survival function of the chi-square distribution (scipy.stats.chi2.sf). */
export function chiSquareSurvival(statistic: number, degreesOfFreedom: number): number {
  if (!(degreesOfFreedom > 0)) return Number.NaN;
  if (statistic === Number.POSITIVE_INFINITY) return 0;
  if (statistic <= 0) return 1;
  return regularizedGammaUpper(degreesOfFreedom / 2, statistic / 2);
}

/** numpy's round(): half to even. */
export function roundHalfToEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}
