/**
 * A synthetic, fraud-like card-transaction dataset for demos, tests and benchmarks.
 * Deterministic for a seed. Features follow plausible distributions (log-normal amounts,
 * Poisson counts, unequal regions); the label is drawn from a logistic function of the
 * features, so a logistic regression reaches a ROC AUC near 0.9, and it depends mildly on
 * region so fairness metrics are not trivially zero. `drift` moves the inputs the way a
 * changing customer base would (means, category mix, region mix), not the fraud mechanism.
 * `patternShift` does the opposite: fraudsters change tactics. A share of the fraud follows a
 * new mechanism (card testing: small amounts in quick succession on older, high-limit
 * customers' cards, features the old mechanism ignores), and the old pattern's tell-tale inputs
 * grow a little rarer, so the inputs move only slightly while the old model's recall falls a lot.
 */
import { writeDataset, type ParquetCompression } from './write-dataset.js';
import { inferDatasetFormat, type DatasetFormat } from './dataset-format.js';
import { mulberry32, standardNormals } from './seeded-random.js';
import type { CategoricalColumn, NumericColumn, Table } from './table.js';

export interface FraudDatasetOptions {
  rows: number;
  seed: number;
  /** Expected share of fraud labels. Default 0.03. */
  fraudRate?: number;
  /** 0 = none; 1 is a clearly visible shift of numeric means, merchant-category and region mix. */
  drift?: number;
  /** Share of labels flipped after drawing, to make the problem noisier. Default 0. */
  labelNoise?: number;
  /** Share of rows with a missing distance_from_home_km, and separately device_type. Default 0. */
  nullShare?: number;
  /** 0 = the usual fraud mechanism; 1 = fraudsters have moved to the new pattern entirely. Default 0. */
  patternShift?: number;
}

export interface GenerateFraudDatasetOptions extends FraudDatasetOptions {
  out: string;
  /** Default: from the `out` extension. */
  format?: DatasetFormat;
  /** Parquet only. Default zstd. */
  compression?: ParquetCompression;
}

export interface GeneratedDataset {
  path: string;
  rows: number;
  /** Rows labelled fraud (after label noise). */
  positives: number;
}

export const FRAUD_LABEL = 'is_fraud';

/** Category, base share, fraud log-odds offset, how strongly drift favours it, share of card-present payments. */
const MERCHANT_CATEGORIES: ReadonlyArray<[string, number, number, number, number]> = [
  ['grocery', 0.22, -0.6, -0.4, 0.8],
  ['restaurants', 0.18, -0.4, -0.2, 0.8],
  ['fuel', 0.12, -0.2, 0, 0.9],
  ['online_retail', 0.15, 0.6, 0.8, 0.02],
  ['electronics', 0.08, 0.9, 0.8, 0.4],
  ['travel', 0.07, 0.5, 0.5, 0.3],
  ['entertainment', 0.1, 0.1, 0, 0.6],
  ['health', 0.08, -0.5, -0.2, 0.85],
];
/** Region (the sensitive attribute), base share, fraud log-odds offset, how strongly drift favours it. */
const REGIONS: ReadonlyArray<[string, number, number, number]> = [
  ['north', 0.45, 0, -0.5],
  ['south', 0.3, -0.15, 0],
  ['east', 0.17, 0.2, 0.5],
  ['west', 0.08, 0.4, 1],
];
// Plain arrays for the per-row loop (destructuring tuples there allocates an iterator per row).
const CATEGORY_RISK = MERCHANT_CATEGORIES.map((category) => category[2]);
const CARD_PRESENT_SHARE = MERCHANT_CATEGORIES.map((category) => category[4]);
const REGION_RISK = REGIONS.map((region) => region[2]);
/** Devices for card-not-present payments; card-present ones are always pos_terminal. */
const REMOTE_DEVICES = ['mobile', 'desktop', 'tablet'] as const;
const DEVICE_TYPES = [...REMOTE_DEVICES, 'pos_terminal'];
const POS_TERMINAL = DEVICE_TYPES.indexOf('pos_terminal');
/** Scales all fraud log-odds terms; chosen so logistic regression scores a hold-out ROC AUC of about 0.9. */
const SIGNAL_STRENGTH = 1.4;

/** Generates the dataset and writes it as CSV or Parquet (atomically). */
export async function generateFraudDataset(options: GenerateFraudDatasetOptions): Promise<GeneratedDataset> {
  const { table, positives } = generateFraudTable(options);
  const format = options.format ?? inferDatasetFormat(options.out);
  await writeDataset(table, options.out, { format, compression: options.compression ?? 'zstd' });
  return { path: options.out, rows: table.rowCount, positives };
}

/** The same dataset in memory, for tests and benchmarks that do not need a file. */
export function generateFraudTable(options: FraudDatasetOptions): { table: Table; positives: number } {
  const { rows, seed, fraudRate = 0.03, drift = 0, labelNoise = 0, nullShare = 0, patternShift = 0 } = options;
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`rows must be a whole number >= 0, got ${rows}`);
  if (!(patternShift >= 0 && patternShift <= 1)) throw new RangeError(`patternShift must be between 0 and 1, got ${patternShift}`);
  if (!(fraudRate > 0 && fraudRate < 1)) throw new RangeError(`fraudRate must be between 0 and 1, got ${fraudRate}`);

  // Separate streams, so e.g. adding label noise leaves the features of a seed unchanged.
  const random = mulberry32(seed);
  const labelRandom = mulberry32(seed ^ 0x5bd1e995);
  const noiseRandom = mulberry32(seed ^ 0x27d4eb2f);

  const numeric = (name: string, sourceType = 'DOUBLE'): NumericColumn => ({ name, kind: 'numeric', sourceType, values: new Float64Array(rows) });
  const categorical = (name: string, dictionary: string[]): CategoricalColumn => ({ name, kind: 'categorical', sourceType: 'VARCHAR', codes: new Int32Array(rows), dictionary });

  const transactionId = categorical('transaction_id', Array.from({ length: rows }, (_, row) => `tx-${seed}-${String(row + 1).padStart(9, '0')}`));
  const amount = numeric('amount');
  const merchantCategory = categorical('merchant_category', MERCHANT_CATEGORIES.map(([name]) => name));
  const region = categorical('region', REGIONS.map(([name]) => name));
  const deviceType = categorical('device_type', DEVICE_TYPES);
  const cardPresent = numeric('card_present', 'BOOLEAN');
  const isInternational = numeric('is_international', 'BOOLEAN');
  const accountAgeDays = numeric('account_age_days', 'BIGINT');
  const hourOfDay = numeric('hour_of_day', 'BIGINT');
  const distanceFromHomeKm = numeric('distance_from_home_km');
  const numTxLast24h = numeric('num_tx_last_24h', 'BIGINT');
  const avgAmount30d = numeric('avg_amount_30d');
  const amountToAvgRatio = numeric('amount_to_avg_ratio');
  const customerAge = numeric('customer_age', 'BIGINT');
  const creditLimit = numeric('credit_limit');
  const numFailedLogins7d = numeric('num_failed_logins_7d', 'BIGINT');
  const merchantRiskScore = numeric('merchant_risk_score');
  const daysSinceLastTx = numeric('days_since_last_tx');
  const sessionDurationSec = numeric('session_duration_sec');
  const isFraud = numeric(FRAUD_LABEL, 'BIGINT');

  // The old pattern's merchants (the riskiest categories) lose a little share as fraudsters leave them.
  const categoryWeights = MERCHANT_CATEGORIES.map(([, share, risk, tilt]) => share * Math.exp(drift * tilt - 0.3 * patternShift * Math.max(0, risk)));
  const regionWeights = REGIONS.map(([, share, , tilt]) => share * Math.exp(drift * tilt));
  const riskScore = new Float64Array(rows);
  const newPatternScore = new Float64Array(rows);

  const normal = standardNormals(random);
  const drawRow = (row: number): void => {
    const category = pickWeighted(categoryWeights, random());
    const categoryRisk = CATEGORY_RISK[category]!;
    const regionCode = pickWeighted(regionWeights, random());
    const present = random() < CARD_PRESENT_SHARE[category]! ? 1 : 0;
    const device = present ? POS_TERMINAL : pickWeighted([0.6 + 0.3 * drift, 0.3, 0.1], random());
    const international = random() < (category === 5 ? 0.25 : 0.04) ? 1 : 0;
    const ageDays = Math.min(7300, Math.max(1, Math.round(Math.exp(6 + normal()))));
    const hour = random() < 0.12 ? Math.floor(random() * 24) : (((Math.round(14 + 4 * normal()) % 24) + 24) % 24);
    const distance = round(Math.exp(1.5 + 0.4 * drift + 1.2 * normal()) * (international ? 20 : 1), 1);
    const recentCount = poisson(2.5 * (1 + 0.3 * drift), random);
    const average = round(Math.exp(3.7 + 0.1 * drift + 0.6 * normal()), 2);
    const amountValue = Math.max(0.5, round(average * Math.exp(0.2 * drift + 0.7 * normal()), 2));
    const ratio = round(amountValue / average, 4);
    const age = Math.min(90, Math.max(18, Math.round(42 + 14 * normal())));
    const limit = Math.round(Math.exp(8.3 + 0.5 * normal()) / 100) * 100;
    const failedLogins = poisson(0.3 * (1 - 0.4 * patternShift), random);
    const merchantRisk = round(1 / (1 + Math.exp(-(categoryRisk + 0.6 * normal()))), 3);
    const daysSince = round(-Math.log(1 - random()) * 2, 2);
    const session = round(Math.exp(5 + 0.8 * normal()), 1);

    transactionId.codes[row] = row;
    amount.values[row] = amountValue;
    merchantCategory.codes[row] = category;
    region.codes[row] = regionCode;
    deviceType.codes[row] = device;
    cardPresent.values[row] = present;
    isInternational.values[row] = international;
    accountAgeDays.values[row] = ageDays;
    hourOfDay.values[row] = hour;
    distanceFromHomeKm.values[row] = distance;
    numTxLast24h.values[row] = recentCount;
    avgAmount30d.values[row] = average;
    amountToAvgRatio.values[row] = ratio;
    customerAge.values[row] = age;
    creditLimit.values[row] = limit;
    numFailedLogins7d.values[row] = failedLogins;
    merchantRiskScore.values[row] = merchantRisk;
    daysSinceLastTx.values[row] = daysSince;
    sessionDurationSec.values[row] = session;

    // Fraud log-odds without the intercept; mostly what a linear model on these columns can see.
    riskScore[row] = SIGNAL_STRENGTH * (
      categoryRisk +
      REGION_RISK[regionCode]! -
      1.0 * present +
      0.8 * international -
      0.45 * Math.log(ageDays) +
      (hour < 6 ? 0.9 : 0) +
      0.3 * Math.log1p(distance) +
      0.18 * recentCount +
      0.9 * Math.log(ratio) +
      0.25 * Math.log(amountValue / 50) +
      0.6 * failedLogins +
      1.5 * (merchantRisk - 0.5) -
      0.01 * (age - 42) -
      0.35 * Math.log(session / 150) +
      0.5 * (amountValue / limit));
    // The new pattern: card testing by older, high-limit customers' stolen details: small amounts,
    // bursts of transactions days apart no more, features the old mechanism gave no weight.
    newPatternScore[row] = 1.5 * SIGNAL_STRENGTH * (
      -1.1 * daysSince +
      0.05 * (age - 42) +
      1.2 * Math.log(limit / 4000) -
      0.5 * Math.log(amountValue / 50));
  };
  for (let row = 0; row < rows; row++) drawRow(row);

  if (patternShift > 0) {
    // Fraudsters leave the old pattern: an old-pattern fraud attempt is, with probability
    // 0.8·patternShift, never made and an ordinary transaction takes its place, so the inputs
    // the old model scores as risky grow rarer (what a score-based estimate can notice).
    const abandonRandom = mulberry32(seed ^ 0x3c6ef372);
    const oldIntercept = interceptForRate(riskScore, fraudRate);
    for (let row = 0; row < rows; row++) {
      while (abandonRandom() < sigmoid(oldIntercept + riskScore[row]!) && abandonRandom() < 0.8 * patternShift) drawRow(row);
    }
  }

  // Each row's fraud probability mixes the two mechanisms, each scaled to the same fraud rate.
  const intercept = interceptForRate(riskScore, fraudRate);
  const newIntercept = patternShift > 0 ? interceptForRate(newPatternScore, fraudRate) : 0;
  let positives = 0;
  for (let row = 0; row < rows; row++) {
    const oldProbability = sigmoid(intercept + riskScore[row]!);
    const probability = patternShift > 0 ? (1 - patternShift) * oldProbability + patternShift * sigmoid(newIntercept + newPatternScore[row]!) : oldProbability;
    let label = labelRandom() < probability ? 1 : 0;
    if (noiseRandom() < labelNoise) label = 1 - label;
    isFraud.values[row] = label;
    positives += label;
  }
  if (nullShare > 0) {
    const nullRandom = mulberry32(seed ^ 0x165667b1);
    for (let row = 0; row < rows; row++) {
      if (nullRandom() < nullShare) distanceFromHomeKm.values[row] = Number.NaN;
      if (nullRandom() < nullShare) deviceType.codes[row] = -1;
    }
  }

  const columns = [
    transactionId, amount, merchantCategory, region, deviceType, cardPresent, isInternational, accountAgeDays, hourOfDay,
    distanceFromHomeKm, numTxLast24h, avgAmount30d, amountToAvgRatio, customerAge, creditLimit, numFailedLogins7d,
    merchantRiskScore, daysSinceLastTx, sessionDurationSec, isFraud,
  ];
  return { table: { rowCount: rows, columns }, positives };
}

function pickWeighted(weights: readonly number[], uniform: number): number {
  let total = 0;
  for (const weight of weights) total += weight;
  let threshold = uniform * total;
  for (let index = 0; index < weights.length - 1; index++) {
    threshold -= weights[index]!;
    if (threshold < 0) return index;
  }
  return weights.length - 1;
}

/** Knuth's method; fine for the small means used here. */
function poisson(mean: number, random: () => number): number {
  const limit = Math.exp(-mean);
  let count = 0;
  let product = random();
  while (product > limit) {
    count++;
    product *= random();
  }
  return count;
}

function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * The intercept that makes the expected fraud share equal `rate`, by bisection (the mean
 * probability rises monotonically with the intercept). A fixed sample keeps it fast.
 */
function interceptForRate(riskScore: Float64Array, rate: number): number {
  const sample = riskScore.subarray(0, Math.min(riskScore.length, 200_000));
  if (sample.length === 0) return 0;
  let low = -30;
  let high = 30;
  for (let iteration = 0; iteration < 50; iteration++) {
    const middle = (low + high) / 2;
    let sum = 0;
    for (const score of sample) sum += sigmoid(middle + score);
    if (sum / sample.length < rate) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}
