import { InvalidEvaluationInput } from '../evaluate/evaluation-input.js';
import { NumpyRandomState } from './numpy-random-state.js';

export interface StratifiedSplitOptions {
  splits: number;
  /** Share of rows in each test fold; the count is ceil(share * n), as scikit-learn rounds it. */
  testShare: number;
  seed: number;
}

export interface Fold {
  train: number[];
  test: number[];
}

/**
 * scikit-learn's StratifiedShuffleSplit(n_splits, test_size, random_state).split(X, labels), fold
 * for fold and index for index: the class counts of each fold come from `_approximate_mode` (ties
 * in the remainders broken by the generator), each class is permuted, then the train and test
 * lists are permuted, all from one numpy RandomState. NannyML's calibration check depends on
 * these exact folds.
 */
export function stratifiedShuffleSplit(labels: ArrayLike<number>, { splits, testShare, seed }: StratifiedSplitOptions): Fold[] {
  const n = labels.length;
  const testCount = Math.ceil(testShare * n);
  const trainCount = n - testCount;
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const classIndices = classes.map((value) => {
    const rows: number[] = [];
    for (let row = 0; row < n; row++) if (labels[row] === value) rows.push(row);
    return rows;
  });
  const classCounts = classIndices.map((rows) => rows.length);
  if (classCounts.some((count) => count < 2)) throw new InvalidEvaluationInput('the least populated class has fewer than 2 rows, too few to split in strata');
  if (trainCount < classes.length || testCount < classes.length) {
    throw new InvalidEvaluationInput(`${n} rows cannot be split into train and test folds holding every one of the ${classes.length} classes`);
  }

  const random = new NumpyRandomState(seed);
  const folds: Fold[] = [];
  for (let split = 0; split < splits; split++) {
    const trainPerClass = approximateMode(classCounts, trainCount, random);
    const testPerClass = approximateMode(
      classCounts.map((count, i) => count - trainPerClass[i]!),
      testCount,
      random,
    );
    const train: number[] = [];
    const test: number[] = [];
    classIndices.forEach((rows, i) => {
      const permuted = random.permutation(rows.length).map((position) => rows[position]!);
      const trainEnd = trainPerClass[i]!;
      const testEnd = trainEnd + testPerClass[i]!;
      for (let position = 0; position < testEnd; position++) (position < trainEnd ? train : test).push(permuted[position]!);
    });
    folds.push({ train: random.shuffle(train), test: random.shuffle(test) });
  }
  return folds;
}

/** scikit-learn's `_approximate_mode`: the most likely draw of `draws` rows split by class, remainders tie-broken at random. */
function approximateMode(classCounts: readonly number[], draws: number, random: NumpyRandomState): number[] {
  const total = classCounts.reduce((sum, count) => sum + count, 0);
  const continuous = classCounts.map((count) => (count / total) * draws);
  const floored = continuous.map(Math.floor);
  let needToAdd = Math.trunc(draws - floored.reduce((sum, value) => sum + value, 0));
  if (needToAdd > 0) {
    const remainder = continuous.map((value, i) => value - floored[i]!);
    const values = [...new Set(remainder)].sort((a, b) => b - a);
    for (const value of values) {
      const tied = remainder.flatMap((r, i) => (r === value ? [i] : []));
      const addNow = Math.min(tied.length, needToAdd);
      for (const i of random.choiceWithoutReplacement(tied, addNow)) floored[i] = floored[i]! + 1;
      needToAdd -= addNow;
      if (needToAdd === 0) break;
    }
  }
  return floored;
}
