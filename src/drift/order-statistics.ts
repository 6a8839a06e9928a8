/**
 * Order statistics (the value of rank k in ascending order) of many doubles without sorting
 * them all: a most-significant-digit radix select on the bits of the doubles. Each level counts
 * one digit of every remaining value and keeps only the buckets that hold a wanted rank, so a
 * column of 10M values costs a few linear passes instead of an n·log n sort (about 5x faster
 * here), and the answer depends on the values only, never on their order.
 *
 * A double's bits become an unsigned key with the same order (negative: all bits flipped;
 * positive: sign bit set), read as a high and a low 32-bit word; the digits are 16 bits, then
 * 8 bits at a time.
 */

interface Digit {
  /** 1: the key's high word, 0: its low word. */
  word: 0 | 1;
  shift: number;
  mask: number;
}

const DIGITS: readonly Digit[] = [
  { word: 1, shift: 16, mask: 0xffff },
  { word: 1, shift: 8, mask: 0xff },
  { word: 1, shift: 0, mask: 0xff },
  { word: 0, shift: 24, mask: 0xff },
  { word: 0, shift: 16, mask: 0xff },
  { word: 0, shift: 8, mask: 0xff },
  { word: 0, shift: 0, mask: 0xff },
];

/** Below this many values a bucket is sorted outright. */
const SMALL = 256;

/**
 * The values of ranks `ranks` (0-based, ascending, within [0, values.length)) of finite
 * `values`, as `sorted[rank]` would give them. `values` is not modified.
 */
export function valuesAtRanks(values: Float64Array, ranks: ArrayLike<number>): Float64Array {
  const out = new Float64Array(ranks.length);
  if (ranks.length === 0) return out;
  for (let i = 0; i < ranks.length; i++) {
    const rank = ranks[i]!;
    if (!Number.isInteger(rank) || rank < 0 || rank >= values.length || (i > 0 && rank < ranks[i - 1]!)) {
      throw new RangeError(`ranks must be ascending integers in [0, ${values.length}), got ${rank} at ${i}`);
    }
  }
  select(values, 0, Array.from(ranks), 0, out);
  return out;
}

function select(values: Float64Array, level: number, ranks: number[], outStart: number, out: Float64Array): void {
  if (values.length <= SMALL || level === DIGITS.length) {
    // After the last digit every value of the bucket has the same bits.
    const sorted = level === DIGITS.length ? values : values.slice().sort();
    for (let i = 0; i < ranks.length; i++) out[outStart + i] = sorted[ranks[i]!]!;
    return;
  }
  const digit = DIGITS[level]!;
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  const counts = new Uint32Array(digit.mask + 1);
  for (let i = 0; i < values.length; i++) counts[digitOf(words, i, digit)]!++;

  // The buckets holding a wanted rank, with the ranks each holds (relative to the bucket).
  const wanted: { bucket: number; start: number; ranks: number[]; outStart: number }[] = [];
  let bucket = 0;
  let bucketStart = 0;
  for (let r = 0; r < ranks.length; r++) {
    const rank = ranks[r]!;
    while (rank >= bucketStart + counts[bucket]!) bucketStart += counts[bucket++]!;
    const last = wanted[wanted.length - 1];
    if (last?.bucket === bucket) last.ranks.push(rank - bucketStart);
    else wanted.push({ bucket, start: bucketStart, ranks: [rank - bucketStart], outStart: outStart + r });
  }
  if (wanted.length === 1 && counts[wanted[0]!.bucket] === values.length) {
    select(values, level + 1, ranks, outStart, out);
    return;
  }
  // Gather the wanted buckets' values, each bucket contiguous, in one pass.
  const offsets = new Int32Array(digit.mask + 1).fill(-1);
  let total = 0;
  for (const entry of wanted) {
    offsets[entry.bucket] = total;
    total += counts[entry.bucket]!;
  }
  const gathered = new Float64Array(total);
  const next = offsets.slice();
  for (let i = 0; i < values.length; i++) {
    const b = digitOf(words, i, digit);
    const position = next[b]!;
    if (position >= 0) {
      gathered[position] = values[i]!;
      next[b] = position + 1;
    }
  }
  for (const entry of wanted) {
    const from = offsets[entry.bucket]!;
    select(gathered.subarray(from, from + counts[entry.bucket]!), level + 1, entry.ranks, entry.outStart, out);
  }
}

function digitOf(words: Uint32Array, index: number, digit: Digit): number {
  const high = words[2 * index + 1]!;
  const negative = high >>> 31 === 1;
  const word = digit.word === 1 ? (negative ? ~high : high | 0x80000000) : negative ? ~words[2 * index]! : words[2 * index]!;
  return (word >>> digit.shift) & digit.mask;
}
