/**
 * Seeded pseudo-random numbers, identical on every machine: integer arithmetic with
 * Math.imul, so splits and generated datasets are reproducible from a seed.
 */

/**
 * mulberry32 (Tommy Ettinger, public domain): a 32-bit state, period 2^32, good enough for
 * shuffles and synthetic data (not for cryptography). Returns floats in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, bound), for Fisher-Yates shuffles. */
export function randomBelow(random: () => number, bound: number): number {
  return Math.floor(random() * bound);
}

/**
 * Standard normal draws by Box-Muller. Each pair of uniforms yields two independent normals;
 * the second is kept for the next call, which halves the log/sqrt/cos work.
 */
export function standardNormals(random: () => number): () => number {
  let spare = Number.NaN;
  return () => {
    if (!Number.isNaN(spare)) {
      const value = spare;
      spare = Number.NaN;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - random())); // 1 - u keeps log() away from 0
    const angle = 2 * Math.PI * random();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}
