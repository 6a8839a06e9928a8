#!/usr/bin/env node
/**
 * An example command trainer: pure Node, no dependencies. It shows the whole contract:
 *
 *   in:  the train and hold-out CSV files (argv or MLOPS_TRAIN_DATA / MLOPS_HOLDOUT_DATA)
 *   out: <output>/model/model.json  — a model in the "mlops.linear-model/v1" format
 *        <output>/metrics.json      — a flat JSON object of numbers, recorded with the version
 *
 * It fits a logistic regression on the numeric (and true/false) columns by plain gradient
 * descent. Pipeline definition:
 *
 *   train:
 *     runtime: command
 *     command: ["node", "examples/command-trainer/train.mjs", "--train", "{train}",
 *               "--holdout", "{holdout}", "--output", "{output}", "--target", "is_fraud"]
 *
 * Options: --model NAME (or MLOPS_MODEL), --target COLUMN (or MLOPS_TARGET), --steps N (300),
 * --learning-rate R (0.5), --l2 L (1, sklearn's 1/C on the summed log loss).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

const started = performance.now();
const options = readOptions(process.argv.slice(2));
const train = parseCsv(await readFile(options.train, 'utf8'));
const holdout = parseCsv(await readFile(options.holdout, 'utf8'));
if (!train.header.includes(options.target)) fail(`target column "${options.target}" is not in ${options.train} (columns: ${train.header.join(', ')})`);

const features = numericFeatures(train, options.target);
console.log(`training on ${train.rows.length} rows, ${features.length} numeric features: ${features.map((f) => f.name).join(', ')}`);
const trainSet = encode(train, features, options.target);
const holdoutSet = encode(holdout, features, options.target);
const fit = gradientDescent(trainSet, options);

const artifact = {
  format: 'mlops.linear-model/v1',
  model: options.model,
  algorithm: 'logistic_regression',
  target: options.target,
  features: features.map(({ name, mean, std }) => ({ name, kind: 'numeric', mean, std })),
  intercept: fit.weights[features.length],
  weights: fit.weights.slice(0, features.length),
  params: { l2: options.l2, maxIterations: options.steps, tolerance: 0, minCategoryCount: 1 },
  training: {
    rows: trainSet.labels.length,
    positives: trainSet.labels.reduce((a, b) => a + b, 0),
    iterations: options.steps,
    converged: fit.gradientNorm < 1e-4,
    finalLoss: fit.objective,
    seconds: (performance.now() - started) / 1000,
    seed: 0,
  },
  createdAt: new Date().toISOString(),
};
const holdoutScores = scores(holdoutSet, fit.weights);
const metrics = {
  train_log_loss: logLoss(trainSet.labels, scores(trainSet, fit.weights)),
  holdout_log_loss: logLoss(holdoutSet.labels, holdoutScores),
  holdout_accuracy: holdoutScores.filter((p, i) => (p >= 0.5 ? 1 : 0) === holdoutSet.labels[i]).length / Math.max(1, holdoutScores.length),
  steps: options.steps,
};
await writeJson(path.join(options.output, 'model', 'model.json'), artifact);
await writeJson(path.join(options.output, 'metrics.json'), metrics);
console.log(`done: train log loss ${metrics.train_log_loss.toFixed(4)}, hold-out accuracy ${metrics.holdout_accuracy.toFixed(4)}`);

function readOptions(argv) {
  const flags = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) fail(`expected --name value pairs, got ${JSON.stringify(argv.slice(i))}`);
    flags[argv[i].slice(2)] = argv[i + 1];
  }
  const required = (value, what) => value ?? fail(`missing ${what}`);
  return {
    train: required(flags.train ?? process.env.MLOPS_TRAIN_DATA, '--train (or MLOPS_TRAIN_DATA)'),
    holdout: required(flags.holdout ?? process.env.MLOPS_HOLDOUT_DATA, '--holdout (or MLOPS_HOLDOUT_DATA)'),
    output: required(flags.output ?? process.env.MLOPS_OUTPUT_DIR, '--output (or MLOPS_OUTPUT_DIR)'),
    target: required(flags.target ?? process.env.MLOPS_TARGET, '--target (or MLOPS_TARGET)'),
    model: flags.model ?? process.env.MLOPS_MODEL ?? 'example',
    steps: Number(flags.steps ?? 300),
    learningRate: Number(flags['learning-rate'] ?? 0.5),
    l2: Number(flags.l2 ?? 1),
  };
}

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines. */
function parseCsv(text) {
  const records = [];
  let record = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    record.push(field);
    field = '';
  };
  const endRecord = () => {
    endField();
    records.push(record);
    record = [];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (text[i + 1] === '"') field += text[++i];
      else quoted = false;
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ',') {
      endField();
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
    } else {
      field += ch;
    }
  }
  if (field !== '' || record.length > 0) endRecord();
  const [header = [], ...rows] = records.filter((r) => !(r.length === 1 && r[0] === '')); // blank lines
  return { header, rows };
}

/** A cell as a number: '' is missing (NaN), true/false are 1/0, anything else that is not a number is undefined. */
function numberOf(cell) {
  const text = cell.trim();
  if (text === '') return NaN;
  if (/^true$/i.test(text)) return 1;
  if (/^false$/i.test(text)) return 0;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** Columns whose every value is a number, with the training mean and population std. */
function numericFeatures(table, target) {
  const features = [];
  table.header.forEach((name, column) => {
    if (name === target) return;
    const values = table.rows.map((row) => numberOf(row[column] ?? ''));
    if (values.some((v) => v === undefined)) return;
    const present = values.filter((v) => !Number.isNaN(v));
    const mean = present.length ? present.reduce((a, b) => a + b, 0) / present.length : 0;
    const std = Math.sqrt(present.reduce((a, v) => a + (v - mean) ** 2, 0) / Math.max(1, present.length));
    features.push({ name, column, mean, std: std > 0 ? std : 1 });
  });
  if (features.length === 0) fail('no numeric feature columns to train on');
  return features;
}

/** Standardised rows (missing → mean → 0) and 0/1 labels, looked up by column name. */
function encode(table, features, target) {
  const targetColumn = table.header.indexOf(target);
  const columns = features.map((f) => table.header.indexOf(f.name));
  const rows = table.rows.map((row) =>
    features.map((f, j) => {
      const v = numberOf(row[columns[j]] ?? '');
      return v === undefined || Number.isNaN(v) ? 0 : (v - f.mean) / f.std;
    }),
  );
  const labels = table.rows.map((row, i) => {
    const label = numberOf(row[targetColumn] ?? '');
    if (label !== 0 && label !== 1) fail(`target "${target}" must be 0/1 or true/false; data row ${i + 1} has ${JSON.stringify(row[targetColumn])}`);
    return label;
  });
  return { rows, labels };
}

/** Full-batch gradient descent on the per-row objective: mean log loss + l2/(2n)·‖w‖². */
function gradientDescent({ rows, labels }, { steps, learningRate, l2 }) {
  const n = rows.length;
  const width = rows[0]?.length ?? 0;
  const weights = new Array(width + 1).fill(0); // the intercept is last
  let gradient = weights.slice();
  for (let step = 1; step <= steps; step++) {
    gradient = new Array(width + 1).fill(0);
    for (let i = 0; i < n; i++) {
      const residual = sigmoid(margin(rows[i], weights)) - labels[i];
      for (let j = 0; j < width; j++) gradient[j] += residual * rows[i][j];
      gradient[width] += residual;
    }
    for (let j = 0; j <= width; j++) {
      gradient[j] = (gradient[j] + (j < width ? l2 * weights[j] : 0)) / n;
      weights[j] -= learningRate * gradient[j];
    }
    if (step % 100 === 0) console.log(`step ${step}: gradient norm ${Math.hypot(...gradient).toExponential(2)}`);
  }
  const probabilities = rows.map((row) => sigmoid(margin(row, weights)));
  const penalty = weights.slice(0, width).reduce((a, w) => a + w * w, 0);
  return { weights, gradientNorm: Math.hypot(...gradient), objective: logLoss(labels, probabilities) * n + (l2 / 2) * penalty };
}

function margin(row, weights) {
  let z = weights[row.length];
  for (let j = 0; j < row.length; j++) z += row[j] * weights[j];
  return z;
}

function sigmoid(z) {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

function scores({ rows }, weights) {
  return rows.map((row) => sigmoid(margin(row, weights)));
}

function logLoss(labels, probabilities) {
  const eps = 1e-15;
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - eps, Math.max(eps, probabilities[i]));
    sum -= labels[i] ? Math.log(p) : Math.log(1 - p);
  }
  return sum / Math.max(1, labels.length);
}

async function writeJson(file, value) {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

function fail(message) {
  console.error(`train.mjs: ${message}`);
  process.exit(2);
}
