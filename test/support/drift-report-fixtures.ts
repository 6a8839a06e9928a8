/**
 * Drift reports built by hand for the report page's tests: a realistic day of the fraud model
 * (one column drifted, a new category, a null-share shift, a column in error), a large one
 * (120 columns, 60 categories) and one whose names and categories are hostile markup.
 * Histograms come from seeded samples binned like Evidently does (shared edges over both sides).
 */
import { mulberry32 } from '../../src/data/seeded-random.js';
import type { ColumnDrift, DistributionSummary, DriftFinding, DriftReport, DriftTest } from '../../src/drift/drift-report.js';

const REFERENCE_ROWS = 200_000;
const CURRENT_ROWS = 48_213;


function normalSample(seed: number, n: number, mean: number, std: number, transform: (x: number) => number = (x) => x): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => transform(mean + std * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())));
}

function summarise(values: number[], edges: number[], nullShare: number, rows: number): DistributionSummary {
  const counts = new Array<number>(edges.length - 1).fill(0);
  const bins = edges.length - 1;
  const [low, high] = [edges[0]!, edges[bins]!];
  for (const value of values) counts[Math.min(bins - 1, Math.max(0, Math.floor(((value - low) / (high - low)) * bins)))]! += 1;
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  const std = Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length);
  return {
    count: Math.round(rows * (1 - nullShare)), nullShare, mean, std, min: Math.min(...values), max: Math.max(...values),
    histogram: { edges, shares: counts.map((count) => count / values.length) },
  };
}

interface NumericSpec {
  column: string;
  test: DriftTest;
  statistic: number;
  pValue?: number;
  threshold: number;
  drifted: boolean;
  reference: number[];
  current: number[];
  nullShares?: [number, number];
}

function numericColumn(spec: NumericSpec): ColumnDrift {
  const all = [...spec.reference, ...spec.current];
  const [low, high] = [Math.min(...all), Math.max(...all)];
  const edges = Array.from({ length: 21 }, (_, i) => low + ((high - low) * i) / 20);
  const [referenceNulls, currentNulls] = spec.nullShares ?? [0, 0];
  return {
    column: spec.column, kind: 'numeric', test: spec.test, statistic: spec.statistic, pValue: spec.pValue ?? null,
    threshold: spec.threshold, drifted: spec.drifted,
    reference: summarise(spec.reference, edges, referenceNulls, REFERENCE_ROWS), current: summarise(spec.current, edges, currentNulls, CURRENT_ROWS),
  };
}

function categorical(categories: [string, number][], count: number, nullShare = 0): DistributionSummary {
  const total = categories.reduce((sum, [, weight]) => sum + weight, 0);
  return { count: Math.round(count * (1 - nullShare)), nullShare, histogram: { categories: categories.map(([name]) => name), shares: categories.map(([, weight]) => weight / total) } };
}

export function fraudDriftReport(): DriftReport {
  const columns: ColumnDrift[] = [
    numericColumn({
      column: 'amount', test: 'wasserstein', statistic: 0.412, threshold: 0.1, drifted: true,
      reference: normalSample(1, 4000, 3.6, 0.6, Math.exp), current: normalSample(2, 4000, 4.1, 0.65, Math.exp),
    }),
    numericColumn({
      column: 'customer_age', test: 'ks', statistic: 0.0121, pValue: 0.314, threshold: 0.05, drifted: false,
      reference: normalSample(3, 4000, 41, 12), current: normalSample(4, 4000, 41.4, 12),
    }),
    numericColumn({
      column: 'account_age_days', test: 'wasserstein', statistic: 0.031, threshold: 0.1, drifted: false,
      reference: normalSample(5, 4000, 900, 300), current: normalSample(6, 4000, 880, 310), nullShares: [0.001, 0.084],
    }),
    numericColumn({
      column: 'hour_of_day', test: 'psi_reference_quantiles', statistic: 0.018, threshold: 0.1, drifted: false,
      reference: normalSample(7, 4000, 14, 4.5, (x) => Math.min(23, Math.max(0, x))), current: normalSample(8, 4000, 14.6, 4.7, (x) => Math.min(23, Math.max(0, x))),
    }),
    {
      column: 'merchant_category', kind: 'categorical', test: 'jensenshannon', statistic: 0.072, pValue: null, threshold: 0.1, drifted: false,
      reference: categorical([['grocery', 31], ['electronics', 18], ['travel', 12], ['restaurants', 17], ['fuel', 14], ['online_services', 8]], REFERENCE_ROWS),
      current: categorical([['grocery', 28], ['electronics', 19], ['travel', 11], ['restaurants', 16], ['fuel', 12], ['online_services', 10], ['crypto_exchange', 3.2], ['p2p_transfer', 0.8]], CURRENT_ROWS),
    },
    {
      column: 'device_type', kind: 'categorical', test: 'z', statistic: -0.77, pValue: 0.441, threshold: 0.05, drifted: false,
      reference: categorical([['mobile', 64], ['desktop', 36]], REFERENCE_ROWS), current: categorical([['mobile', 65.1], ['desktop', 34.9]], CURRENT_ROWS),
    },
    {
      column: 'country', kind: 'categorical', test: 'chisquare', statistic: 61.3, pValue: 0.238, threshold: 0.05, drifted: false,
      reference: categorical(countries(11), REFERENCE_ROWS), current: categorical(countries(12), CURRENT_ROWS),
    },
    {
      ...numericColumn({
        column: 'ip_risk_score', test: 'wasserstein', statistic: 0, threshold: 0.1, drifted: false,
        reference: normalSample(9, 4000, 0.2, 0.08), current: [0],
      }),
      statistic: null, drifted: null, error: 'no values in the current window: all 48,213 rows are null',
      current: { count: 0, nullShare: 1, histogram: { edges: [], shares: [] } },
    },
  ];
  const findings: DriftFinding[] = [
    { kind: 'missing-share-shift', column: 'account_age_days', detail: 'null share rose from 0.1% to 8.4% (+8.3 points)', severity: 'warning' },
    { kind: 'missing-share-shift', column: 'ip_risk_score', detail: 'null share rose from 0% to 100%', severity: 'critical' },
    { kind: 'new-category', column: 'merchant_category', detail: '2 categories not seen in training: crypto_exchange (3.2% of rows), p2p_transfer (0.8%)', severity: 'warning' },
    { kind: 'column-error', column: 'ip_risk_score', detail: 'no values in the current window: all 48,213 rows are null', severity: 'critical' },
  ];
  return {
    model: 'fraud-detector', version: 3,
    window: { from: '2025-03-14T00:00:00.000Z', to: '2025-03-15T00:00:00.000Z' },
    referenceRows: REFERENCE_ROWS, currentRows: CURRENT_ROWS, generatedAt: '2025-03-15T00:04:12.000Z',
    columns, evaluated: 7, drifted: 1, share: 1 / 7, datasetThreshold: 0.5, datasetDrift: false, findings,
  };
}

/** 55 country codes with a long tail (a Zipf-like share), in a seeded jitter. */
function countries(seed: number): [string, number][] {
  const random = mulberry32(seed);
  const codes = 'US GB DE FR ES IT NL BE SE NO DK FI PL PT IE AT CH CZ HU RO GR BG HR SI SK LT LV EE CA MX BR AR CL CO PE AU NZ JP KR CN IN SG MY TH VN PH ID ZA NG KE EG MA TR IL AE'.split(' ');
  return codes.map((code, rank) => [code, (1 / (rank + 1)) * (0.9 + 0.2 * random())]);
}

/** 120 columns (every fourth drifted, so dataset drift is off) and one column with 60 categories. */
export function largeDriftReport(): DriftReport {
  const base = fraudDriftReport();
  const columns: ColumnDrift[] = [];
  for (let i = 0; i < 119; i++) {
    const drifted = i % 4 === 0;
    columns.push(numericColumn({
      column: `sensor_${String(i).padStart(3, '0')}_reading_normalised`, test: 'wasserstein', statistic: drifted ? 0.15 + i / 1000 : 0.02, threshold: 0.1, drifted,
      reference: normalSample(100 + i, 400, 0, 1), current: normalSample(1000 + i, 400, drifted ? 0.6 : 0, 1),
    }));
  }
  const manyCategories = Array.from({ length: 60 }, (_, i): [string, number] => [`merchant_${String(i).padStart(2, '0')}_${'x'.repeat(i % 7)}`, 1 / (i + 1)]);
  columns.push({
    column: 'merchant_id', kind: 'categorical', test: 'jensenshannon', statistic: 0.05, pValue: null, threshold: 0.1, drifted: false,
    reference: categorical(manyCategories, REFERENCE_ROWS), current: categorical([...manyCategories, ['merchant_new_1', 0.02], ['merchant_new_2', 0.01]], CURRENT_ROWS),
  });
  const drifted = columns.filter((column) => column.drifted).length;
  return { ...base, columns, evaluated: columns.length, drifted, share: drifted / columns.length, datasetDrift: false, findings: [] };
}

export const HOSTILE_MARKUP = {
  column: '<img src=x onerror="globalThis.pwned=1">amount',
  category: '<script>globalThis.pwned=1</script>',
  detail: 'category "<b>bold</b>" & friends',
  model: 'fraud<svg onload=alert(1)>',
};

/** The realistic report with hostile markup in a column name, a category, a finding and the model name. */
export function hostileDriftReport(): DriftReport {
  const report = fraudDriftReport();
  const merchant = report.columns.find((column) => column.column === 'merchant_category')!;
  merchant.current.histogram.categories = [...merchant.current.histogram.categories!.slice(0, -1), HOSTILE_MARKUP.category];
  report.columns[0]!.column = HOSTILE_MARKUP.column;
  report.model = HOSTILE_MARKUP.model;
  report.findings.push({ kind: 'new-category', column: HOSTILE_MARKUP.column, detail: HOSTILE_MARKUP.detail, severity: 'warning' });
  return report;
}
