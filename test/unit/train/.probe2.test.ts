import { it } from 'vitest';
import { logisticObjective } from '../../../src/train/logistic-regression.js';
import { buildDesignMatrix, fitFeatureEncodings } from '../../../src/train/preprocess.js';
import { readBinaryTarget } from '../../../src/train/binary-target.js';
import { minimizeLbfgs } from '../../../src/train/lbfgs.js';
import { reference, referenceTable, referenceTrainRows } from './fixture-table.js';
it('probe', () => {
  const table = referenceTable(); const rows = referenceTrainRows();
  for (const c of reference.cases) {
    const enc = fitFeatureEncodings(table, reference.features, rows, c.minCategoryCount);
    const d = buildDesignMatrix(table, enc, rows); const y = readBinaryTarget(table, 'label', rows);
    const f = logisticObjective(d, y, c.l2);
    const exact = Float64Array.from([...c.newtonCoef, c.newtonIntercept]);
    const fe = f(exact); console.log('grad at newton', Math.max(...Array.from(fe.gradient, Math.abs)), fe.value);
    for (const rt of [0, 64*Number.EPSILON]) {
      const r = minimizeLbfgs(f, new Float64Array(d.width + 1), { maxIterations: 10000, gradientTolerance: 1e-10, relativeLossTolerance: rt });
      console.log(c.name, rt, r.reason, r.iterations, r.evaluations, Math.max(...Array.from(r.gradient, Math.abs)), r.value, Math.max(...Array.from(r.x).map((v,i)=>Math.abs(v-exact[i]!))));
    }
  }
});
