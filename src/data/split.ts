/**
 * The train / hold-out split: stratified by label so both parts keep the class balance
 * (3% fraud stays 3% fraud), and reproducible from a seed on any machine.
 */
import { mulberry32, randomBelow } from './seeded-random.js';

export interface HoldoutSplit {
  /** Row indices, ascending. */
  train: Uint32Array;
  /** Row indices, ascending. */
  holdout: Uint32Array;
}

/**
 * Within each label value (NaN counts as one more class), shuffles the rows with a seeded
 * Fisher-Yates and holds out round(share × class size) of them. Classes are visited in
 * ascending label order so the random stream, and the result, depend only on the inputs.
 */
export function holdoutSplit(labels: Float64Array, share: number, seed: number): HoldoutSplit {
  if (!(share > 0 && share < 1)) throw new RangeError(`hold-out share must be between 0 and 1 (exclusive), got ${share}`);
  const random = mulberry32(seed);
  const isHoldout = new Uint8Array(labels.length);
  let holdoutCount = 0;
  for (const rows of rowsByLabel(labels)) {
    shuffle(rows, random);
    const take = Math.round(rows.length * share);
    for (let i = 0; i < take; i++) isHoldout[rows[i]!] = 1;
    holdoutCount += take;
  }
  const train = new Uint32Array(labels.length - holdoutCount);
  const holdout = new Uint32Array(holdoutCount);
  let trainIndex = 0;
  let holdoutIndex = 0;
  for (let row = 0; row < labels.length; row++) {
    if (isHoldout[row]) holdout[holdoutIndex++] = row;
    else train[trainIndex++] = row;
  }
  return { train, holdout };
}

function rowsByLabel(labels: Float64Array): Uint32Array[] {
  const counts = new Map<number, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  // NaN sorts last; Map keys treat every NaN as the same key.
  const classes = [...counts.keys()].sort((a, b) => (Number.isNaN(a) ? 1 : Number.isNaN(b) ? -1 : a - b));
  const rows = new Map(classes.map((label) => [label, { indices: new Uint32Array(counts.get(label)!), filled: 0 }]));
  for (let row = 0; row < labels.length; row++) {
    const bucket = rows.get(labels[row]!)!;
    bucket.indices[bucket.filled++] = row;
  }
  return classes.map((label) => rows.get(label)!.indices);
}

function shuffle(values: Uint32Array, random: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = randomBelow(random, i + 1);
    const swap = values[i]!;
    values[i] = values[j]!;
    values[j] = swap;
  }
}
