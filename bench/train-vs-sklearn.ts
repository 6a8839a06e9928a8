/**
 * Training side by side: our built-in logistic regression vs scikit-learn's
 * `LogisticRegression(solver="lbfgs")` in a Pipeline with a ColumnTransformer of StandardScaler +
 * OneHotEncoder (bench/train_sklearn.py), on the same 1M rows × 20 features (15 numeric, 5
 * categorical, 2% missing; bench/train.ts's synthetic table) and the same L2.
 *
 *   npm run bench train-vs-sklearn [--rows 1000000] [--holdout 200000] [--rounds 5] [--append [file]]
 *
 * Each side fits in its own process (data loading and imports not timed; encoding + fit timed),
 * the two alternate (ours first in odd rounds, scikit-learn first in even ones), and the table
 * shows the medians. The regularisation is the same objective on both sides: ours minimises
 * (1/n)[Σ log-loss + (l2/2)‖w‖²], intercept unpenalised; scikit-learn's lbfgs minimises
 * (1/n)[Σ log-loss + ‖w‖²/(2C)], intercept unpenalised; so C = 1/l2. Both stop on the same
 * gradient tolerance (the largest component of the per-row objective's gradient).
 *
 * Agreement, checked every round: the hold-out log loss of the two models within 1e-6, else the
 * benchmark fails (exit 1). A last pair of fits at a tight tolerance (1e-10) shows where both
 * optimisers end when neither stops early.
 *
 * Needs the scikit-learn venv (`bench/install-references scikit-learn`, i.e. scripts/mlflow's).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadDataset } from '../src/data/load-dataset.js';
import { allRows } from '../src/data/table.js';
import { writeDataset } from '../src/data/write-dataset.js';
import { trainLogisticRegression } from '../src/train/logistic-regression.js';
import { scoreRows } from '../src/train/predict.js';
import { buildDesignMatrix, fitFeatureEncodings } from '../src/train/preprocess.js';
import { appendReport, appendTarget, loadAverage, machineLine, median, option, pythonEnv, referencePython, REPO, runJsonChild, TSX } from './lib/side-by-side.js';
import { syntheticTable } from './train.js';

const TARGET = 'label';
const L2 = 1;
const TOLERANCE = 1e-6;
const MAX_ITERATIONS = 200;
const TIGHT_TOLERANCE = 1e-10;
const TIGHT_MAX_ITERATIONS = 5000;
const LOG_LOSS_AGREEMENT = 1e-6;
const GOAL = 1; // ours / scikit-learn ≤ 1

interface FitResult {
  side: string;
  fitSeconds: number;
  /** Encoding alone (ours: fit encodings + design matrix; sklearn: the fitted ColumnTransformer's transform), timed after the fit. */
  encodeSeconds: number;
  holdoutLogLoss: number;
  trainObjective: number;
  iterations: number;
  converged: boolean;
  encodedColumns: number;
  weights: number[];
  intercept: number;
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') await child(argv.slice(1));
else await main();

async function main(): Promise<void> {
  const rows = Number(option(argv, 'rows', '1000000'));
  const holdoutRows = Number(option(argv, 'holdout', '200000'));
  const rounds = Number(option(argv, 'rounds', '5'));
  const append = appendTarget(argv);
  const loadBefore = loadAverage();

  const dir = path.join(REPO, '.data', 'bench', 'train-vs-sklearn');
  const trainFile = path.join(dir, `train-${rows}-seed42.parquet`);
  const holdoutFile = path.join(dir, `holdout-${holdoutRows}-seed4242.parquet`);
  if (!existsSync(trainFile)) await writeDataset(syntheticTable(rows, 42), trainFile);
  if (!existsSync(holdoutFile)) await writeDataset(syntheticTable(holdoutRows, 4242), holdoutFile);

  const python = referencePython('scikit-learn');
  const env = pythonEnv();
  const script = path.join(REPO, 'bench', 'train_sklearn.py');
  const info = await runJsonChild<{ sklearn: string; numpy: string; scipy?: string; threadpools: unknown }>(python, [script, trainFile, holdoutFile, '--c', '1', '--tol', '1', '--max-iter', '1', '--info'], { env });

  const ours = (tolerance: number, maxIterations: number) =>
    runJsonChild<FitResult>(TSX, [path.join(REPO, 'bench', 'train-vs-sklearn.ts'), '--child', trainFile, holdoutFile, String(L2), String(tolerance), String(maxIterations)]);
  const sklearn = (tolerance: number, maxIterations: number) =>
    runJsonChild<FitResult>(python, [script, trainFile, holdoutFile, '--c', String(1 / L2), '--tol', String(tolerance), '--max-iter', String(maxIterations)], { env });

  const results: Array<{ ours: FitResult; sklearn: FitResult }> = [];
  const disagreements: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    let o: FitResult;
    let s: FitResult;
    if (round % 2 === 1) {
      o = await ours(TOLERANCE, MAX_ITERATIONS);
      s = await sklearn(TOLERANCE, MAX_ITERATIONS);
    } else {
      s = await sklearn(TOLERANCE, MAX_ITERATIONS);
      o = await ours(TOLERANCE, MAX_ITERATIONS);
    }
    results.push({ ours: o, sklearn: s });
    const gap = Math.abs(o.holdoutLogLoss - s.holdoutLogLoss);
    console.error(
      `round ${round}: ours ${o.fitSeconds.toFixed(2)} s (${o.iterations} it), scikit-learn ${s.fitSeconds.toFixed(2)} s (${s.iterations} it), hold-out log loss ${o.holdoutLogLoss.toFixed(9)} vs ${s.holdoutLogLoss.toFixed(9)} (|Δ| ${gap.toExponential(1)})`,
    );
    if (!(gap <= LOG_LOSS_AGREEMENT)) disagreements.push(`round ${round}: hold-out log loss ours ${o.holdoutLogLoss} vs scikit-learn ${s.holdoutLogLoss}, |Δ| ${gap.toExponential(2)} > ${LOG_LOSS_AGREEMENT}`);
    if (o.encodedColumns !== s.encodedColumns) disagreements.push(`round ${round}: ${o.encodedColumns} encoded columns in ours, ${s.encodedColumns} in scikit-learn's`);
  }
  console.error(`tight fits (tolerance ${TIGHT_TOLERANCE}, up to ${TIGHT_MAX_ITERATIONS} iterations)...`);
  const tight = { ours: await ours(TIGHT_TOLERANCE, TIGHT_MAX_ITERATIONS), sklearn: await sklearn(TIGHT_TOLERANCE, TIGHT_MAX_ITERATIONS) };
  const tightGap = Math.abs(tight.ours.holdoutLogLoss - tight.sklearn.holdoutLogLoss);
  if (!(tightGap <= LOG_LOSS_AGREEMENT)) disagreements.push(`tight fits: hold-out log loss ours ${tight.ours.holdoutLogLoss} vs scikit-learn ${tight.sklearn.holdoutLogLoss}, |Δ| ${tightGap.toExponential(2)}`);

  const oursSeconds = median(results.map((r) => r.ours.fitSeconds));
  const sklearnSeconds = median(results.map((r) => r.sklearn.fitSeconds));
  const ratio = oursSeconds / sklearnSeconds;
  const last = results[results.length - 1]!;
  const maxWeightGap = (a: FitResult, b: FitResult) => Math.max(Math.abs(a.intercept - b.intercept), ...a.weights.map((w, i) => Math.abs(w - (b.weights[i] ?? Number.NaN))));
  const fmt = (v: number) => v.toExponential(1);
  const blas = Array.isArray(info.threadpools)
    ? (info.threadpools as Array<Record<string, unknown>>).map((p) => `${p.internal_api} ${p.version ?? ''}${p.architecture ? ` (${p.architecture})` : ''} × ${p.num_threads}`.replace(/\s+/g, ' ')).join(', ')
    : String(info.threadpools);
  const loadAfter = loadAverage();
  const goal = ratio <= GOAL ? 'met' : `missed: ours takes ${(ratio - 1) * 100 > 0 ? ((ratio - 1) * 100).toFixed(0) : '0'}% longer (${(oursSeconds - sklearnSeconds).toFixed(2)} s)`;

  const report = [
    `### Training vs scikit-learn — \`bench/train-vs-sklearn.ts\`, \`bench/train_sklearn.py\``,
    '',
    `${new Date().toISOString().slice(0, 10)}; machine: ${machineLine()}; load average (1/5/15 min) ${loadBefore} before, ${loadAfter} after.`,
    `Reference: scikit-learn ${info.sklearn} (numpy ${info.numpy}${info.scipy ? `, scipy ${info.scipy}` : ''}; threadpoolctl: ${blas}), OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset.`,
    `${rows.toLocaleString('en')} training rows × 20 features (15 numeric, 5 categorical, 2% missing), hold-out ${holdoutRows.toLocaleString('en')} rows; l2 = ${L2} ↔ C = ${1 / L2}, tolerance ${TOLERANCE}, max ${MAX_ITERATIONS} iterations; fit time (encoding + L-BFGS) in its own process, median of ${rounds} alternating rounds (ours: ${results.map((r) => r.ours.fitSeconds.toFixed(2)).join(', ')} s; scikit-learn: ${results.map((r) => r.sklearn.fitSeconds.toFixed(2)).join(', ')} s).`,
    '',
    '| rows | encoded columns | ours (s) | scikit-learn (s) | ours / scikit-learn | goal ≤ 1 | iterations ours / sklearn | hold-out log loss ours | sklearn | \\|Δ\\| | max \\|Δw\\| |',
    '|---:|---:|---:|---:|---:|:--|---:|---:|---:|---:|---:|',
    `| ${rows.toLocaleString('en')} | ${last.ours.encodedColumns} | ${oursSeconds.toFixed(2)} | ${sklearnSeconds.toFixed(2)} | ${ratio.toFixed(2)}× | ${goal} | ${last.ours.iterations} / ${last.sklearn.iterations} | ${last.ours.holdoutLogLoss.toFixed(9)} | ${last.sklearn.holdoutLogLoss.toFixed(9)} | ${fmt(Math.abs(last.ours.holdoutLogLoss - last.sklearn.holdoutLogLoss))} | ${fmt(maxWeightGap(last.ours, last.sklearn))} |`,
    '',
    `Of which encoding (timed again after the fit, medians): ours ${median(results.map((r) => r.ours.encodeSeconds)).toFixed(2)} s (standardise + one-hot into the design matrix), scikit-learn ${median(results.map((r) => r.sklearn.encodeSeconds)).toFixed(2)} s (the ColumnTransformer's transform); the rest is L-BFGS, one pass over the rows per objective evaluation.`,
    `At tolerance ${TIGHT_TOLERANCE} (one fit each): ours ${tight.ours.fitSeconds.toFixed(2)} s, ${tight.ours.iterations} iterations${tight.ours.converged ? '' : ' (not converged)'}, training objective ${tight.ours.trainObjective.toPrecision(15)}; scikit-learn ${tight.sklearn.fitSeconds.toFixed(2)} s, ${tight.sklearn.iterations} iterations${tight.sklearn.converged ? '' : ' (not converged)'}, objective ${tight.sklearn.trainObjective.toPrecision(15)}; hold-out log loss |Δ| ${fmt(tightGap)}, max |Δw| ${fmt(maxWeightGap(tight.ours, tight.sklearn))}.`,
    `Agreement (hold-out log loss within ${LOG_LOSS_AGREEMENT} in every round and at the tight tolerance): ${disagreements.length === 0 ? 'yes' : 'NO'}.`,
  ].join('\n');
  console.log(`\n${report}`);
  if (append) await appendReport(append, report);
  if (disagreements.length > 0) {
    console.error(`\nFAIL: ours and scikit-learn disagree:\n  ${disagreements.join('\n  ')}`);
    process.exit(1);
  }
}

/** Our side: load (untimed), train (timed), score the hold-out; one JSON line out. */
async function child([trainFile, holdoutFile, l2, tolerance, maxIterations]: string[]): Promise<void> {
  const train = await loadDataset(trainFile!);
  const holdout = await loadDataset(holdoutFile!);
  const features = train.columns.map((c) => c.name).filter((name) => name !== TARGET);
  const params = { l2: Number(l2), maxIterations: Number(maxIterations), tolerance: Number(tolerance), minCategoryCount: 1 };
  const started = performance.now();
  const artifact = trainLogisticRegression(train, { model: 'bench', target: TARGET, features, rows: allRows(train.rowCount), params, seed: 42 });
  const fitSeconds = (performance.now() - started) / 1000;
  const encodeStarted = performance.now();
  buildDesignMatrix(train, fitFeatureEncodings(train, features, allRows(train.rowCount), params.minCategoryCount), allRows(train.rowCount));
  const encodeSeconds = (performance.now() - encodeStarted) / 1000;
  const probabilities = scoreRows(artifact, holdout);
  const labels = holdout.columns.find((c) => c.name === TARGET)!;
  if (labels.kind !== 'numeric') throw new Error('label column is not numeric');
  let loss = 0;
  for (let i = 0; i < holdout.rowCount; i++) loss -= labels.values[i] === 1 ? Math.log(probabilities[i]!) : Math.log1p(-probabilities[i]!);
  const result: FitResult = {
    side: 'ours',
    fitSeconds,
    encodeSeconds,
    holdoutLogLoss: loss / holdout.rowCount,
    trainObjective: artifact.training.finalLoss / artifact.training.rows,
    iterations: artifact.training.iterations,
    converged: artifact.training.converged,
    encodedColumns: artifact.weights.length,
    weights: artifact.weights,
    intercept: artifact.intercept,
  };
  console.log(JSON.stringify(result));
}
