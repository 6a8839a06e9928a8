/**
 * numpy's legacy `np.random.RandomState(seed)` for the draws scikit-learn's StratifiedShuffleSplit
 * makes: MT19937 seeded by init_genrand (numpy's `mt19937_seed` for an integer seed), and
 * `permutation` as numpy's Fisher-Yates shuffle over `random_interval` (masked rejection on 32-bit
 * draws). NannyML's calibration check splits with `random_state=42`, so the same seed here gives
 * the same folds, draw for draw.
 */
const STATE_LENGTH = 624;
const SHIFT = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

export class NumpyRandomState {
  private readonly key = new Uint32Array(STATE_LENGTH);
  private position = STATE_LENGTH;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be an integer between 0 and 2**32 - 1, got ${seed}`);
    this.key[0] = seed;
    for (let i = 1; i < STATE_LENGTH; i++) {
      const previous = this.key[i - 1]!;
      this.key[i] = Math.imul(1812433253, previous ^ (previous >>> 30)) + i;
    }
  }

  /** genrand_int32: the next 32-bit output. */
  nextUint32(): number {
    if (this.position === STATE_LENGTH) this.regenerate();
    let y = this.key[this.position++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** numpy's random_interval: uniform in [0, max] by masking to the smallest covering bit mask and rejecting. */
  interval(max: number): number {
    if (max === 0) return 0;
    if (max > 0xffffffff) throw new RangeError('intervals above 2**32 - 1 are not needed here');
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    for (;;) {
      const value = (this.nextUint32() & mask) >>> 0;
      if (value <= max) return value;
    }
  }

  /** `shuffle(x)` in place, from the last position down, as numpy does for a 1-d array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i >= 1; i--) {
      const j = this.interval(i);
      const swap = items[i]!;
      items[i] = items[j]!;
      items[j] = swap;
    }
    return items;
  }

  /** `permutation(n)`: a shuffled 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** `choice(items, size, replace=False)`: the legacy generator takes the head of a permutation. */
  choiceWithoutReplacement<T>(items: readonly T[], size: number): T[] {
    if (size > items.length) throw new RangeError('cannot take a larger sample than the population without replacement');
    return this.permutation(items.length)
      .slice(0, size)
      .map((index) => items[index]!);
  }

  private regenerate(): void {
    const key = this.key;
    const twist = (i: number, next: number, shifted: number) => {
      const y = (key[i]! & UPPER_MASK) | (key[next]! & LOWER_MASK);
      key[i] = key[shifted]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    };
    let i = 0;
    for (; i < STATE_LENGTH - SHIFT; i++) twist(i, i + 1, i + SHIFT);
    for (; i < STATE_LENGTH - 1; i++) twist(i, i + 1, i + SHIFT - STATE_LENGTH);
    twist(STATE_LENGTH - 1, 0, SHIFT - 1);
    this.position = 0;
  }
}
