/**
 * Sums of doubles that do not depend on the order of the values: every value's integer mantissa
 * is added, without rounding, into the accumulator of its binary exponent, and the accumulators
 * are added at the end in one fixed order with Shewchuk's exact partials (Python's math.fsum).
 * The result is the exact sum correctly rounded (up to the last step's half-way ties), the same
 * bits whichever order DuckDB's threads or the files delivered the rows in, without sorting.
 *
 * A double is ±m·2^(e−1075) with an integer m < 2^53. m is split into 21 + 16 + 16 bits; each
 * part summed over up to 2^32 values stays below 2^53, so the accumulators never round.
 */

const EXPONENTS = 2048;
const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);

export class ExactSum {
  private readonly high = new Float64Array(EXPONENTS);
  private readonly middle = new Float64Array(EXPONENTS);
  private readonly low = new Float64Array(EXPONENTS);

  /** Adds a finite value. */
  add(value: number): void {
    scratch[0] = value;
    this.addWords(scratchWords[0]!, scratchWords[1]!);
  }

  /** Adds every value of a Float64Array of finite values. */
  addAll(values: Float64Array): void {
    const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
    for (let i = 0; i < words.length; i += 2) this.addWords(words[i]!, words[i + 1]!);
  }

  /** Adds (value − center)² for every value: the sum of squared deviations, order-free. */
  addSquaredDeviations(values: Float64Array, center: number): void {
    for (let i = 0; i < values.length; i++) {
      const deviation = values[i]! - center;
      this.add(deviation * deviation);
    }
  }

  private addWords(lowWord: number, highWord: number): void {
    const exponent = (highWord >>> 20) & 0x7ff;
    const top = (highWord & 0xfffff) | (exponent === 0 ? 0 : 0x100000);
    const negative = highWord >>> 31 === 1;
    // Subnormals (exponent 0) share the scale of exponent 1.
    const slot = exponent === 0 ? 1 : exponent;
    if (negative) {
      this.high[slot]! -= top;
      this.middle[slot]! -= lowWord >>> 16;
      this.low[slot]! -= lowWord & 0xffff;
    } else {
      this.high[slot]! += top;
      this.middle[slot]! += lowWord >>> 16;
      this.low[slot]! += lowWord & 0xffff;
    }
  }

  /** The sum, correctly rounded. */
  value(): number {
    const terms: number[] = [];
    for (let slot = 1; slot < EXPONENTS; slot++) {
      const scale = slot - 1075;
      if (this.high[slot] !== 0) terms.push(scaled(this.high[slot]!, scale + 32));
      if (this.middle[slot] !== 0) terms.push(scaled(this.middle[slot]!, scale + 16));
      if (this.low[slot] !== 0) terms.push(scaled(this.low[slot]!, scale));
    }
    return exactPartialsSum(terms);
  }
}

/** integer · 2^power without intermediate overflow or underflow (both steps are exact). */
function scaled(integer: number, power: number): number {
  if (power > 1000) return integer * 2 ** 1000 * 2 ** (power - 1000);
  if (power < -1000) return integer * 2 ** (power + 1000) * 2 ** -1000;
  return integer * 2 ** power;
}

/** Shewchuk's algorithm (Python's msum recipe): non-overlapping partials, then their sum. */
function exactPartialsSum(terms: readonly number[]): number {
  const partials: number[] = [];
  for (let x of terms) {
    let kept = 0;
    for (let y of partials) {
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const high = x + y;
      const low = y - (high - x);
      if (low !== 0) partials[kept++] = low;
      x = high;
    }
    partials.length = kept;
    partials.push(x);
  }
  // Add from the largest down, with Python's correction for a half-way case.
  let index = partials.length - 1;
  if (index < 0) return 0;
  let high = partials[index]!;
  let low = 0;
  while (index > 0) {
    const x = high;
    const y = partials[--index]!;
    high = x + y;
    low = y - (high - x);
    if (low !== 0) break;
  }
  if (index > 0 && ((low < 0 && partials[index - 1]! < 0) || (low > 0 && partials[index - 1]! > 0))) {
    const y = low * 2;
    const x = high + y;
    if (y === x - high) high = x;
  }
  return high;
}

/** Mean and Σ (x − mean)² of finite values, independent of their order. */
export function orderFreeMoments(values: Float64Array): { mean: number; sumSquaredDeviations: number } {
  if (values.length === 0) return { mean: Number.NaN, sumSquaredDeviations: 0 };
  const sum = new ExactSum();
  sum.addAll(values);
  const mean = sum.value() / values.length;
  const squares = new ExactSum();
  squares.addSquaredDeviations(values, mean);
  return { mean, sumSquaredDeviations: squares.value() };
}
