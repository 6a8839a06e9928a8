import { it } from 'vitest';
import { trainLogisticRegression } from '../../../src/train/logistic-regression.js';
import { scoreRows } from '../../../src/train/predict.js';
import { reference, referenceTable, referenceTrainRows } from './fixture-table.js';
it('probe', () => {
  const table = referenceTable();
  for (const c of reference.cases) {
    const a = trainLogisticRegression(table, { model: 'r', target: 'label', features: reference.features, rows: referenceTrainRows(), params: { l2: c.l2, minCategoryCount: c.minCategoryCount, maxIterations: 10000, tolerance: 1e-10 }, seed: 1 });
    const d = (x: number[], y: number[]) => Math.max(...x.map((v, i) => Math.abs(v - y[i]!)));
    const p = scoreRows(a, table);
    console.log(c.name, a.training.iterations, 'vs sklearn', d(a.weights, c.coef), 'vs newton', d(a.weights, c.newtonCoef), 'sk-newton', d(c.coef, c.newtonCoef), 'prob', d(Array.from(p), c.probabilities));
  }
});
