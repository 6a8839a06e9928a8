/**
 * Ascending sort of finite doubles by LSD radix on their bits: four passes of 16 bits over an
 * order-preserving integer view (negatives flipped whole, positives get the sign bit), so 10M
 * values take a few hundred milliseconds where the comparison sort takes over a second. The result
 * is the same array, in the same order, as Float64Array.prototype.sort (−0 before +0).
 */
const SMALL = 4096;

export function sortFloat64(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < SMALL) return values.sort();
  const words = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  // Little-endian: words[2i] is the low half, words[2i + 1] the high half (with the sign bit).
  let lo = new Uint32Array(n);
  let hi = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const h = words[2 * i + 1]!;
    const l = words[2 * i]!;
    if (h & 0x80000000) {
      hi[i] = ~h >>> 0;
      lo[i] = ~l >>> 0;
    } else {
      hi[i] = (h | 0x80000000) >>> 0;
      lo[i] = l;
    }
  }
  let loNext = new Uint32Array(n);
  let hiNext = new Uint32Array(n);
  const counts = new Uint32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const source = pass < 2 ? lo : hi;
    const shift = (pass % 2) * 16;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(source[i]! >>> shift) & 0xffff]!++;
    let total = 0;
    for (let d = 0; d < 65536; d++) {
      const c = counts[d]!;
      counts[d] = total;
      total += c;
    }
    for (let i = 0; i < n; i++) {
      const at = counts[(source[i]! >>> shift) & 0xffff]!++;
      loNext[at] = lo[i]!;
      hiNext[at] = hi[i]!;
    }
    [lo, loNext] = [loNext, lo];
    [hi, hiNext] = [hiNext, hi];
  }
  for (let i = 0; i < n; i++) {
    const h = hi[i]!;
    if (h & 0x80000000) {
      words[2 * i + 1] = (h & 0x7fffffff) >>> 0;
      words[2 * i] = lo[i]!;
    } else {
      words[2 * i + 1] = ~h >>> 0;
      words[2 * i] = ~lo[i]! >>> 0;
    }
  }
  return values;
}
