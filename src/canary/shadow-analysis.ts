/**
 * The shadow phase's verdict: the new version against the champion on the same requests, from the
 * two logs the gateway keeps (the champion's answers in `predictions/`, the mirrored ones in
 * `shadow-predictions/`, joined by request id). Gates (`deploy.shadow.gates`): decision agreement
 * at the threshold, Kolmogorov-Smirnov distance between the two versions' scores, the new
 * version's error rate and p99 latency, over at least `minSamples` paired requests.
 */
import path from 'node:path';
import { withDuckDB } from '../data/duckdb-connection.js';
import { quoteString } from '../data/sql-literals.js';
import { hasParquetFiles, SHADOW_PREDICTIONS_DIRECTORY } from '../serving/prediction-log.js';
import type { DeploySection } from '../spec/schema.js';

export type ShadowGates = NonNullable<DeploySection['shadow']>['gates'];

export interface ShadowAnalysis {
  passed: boolean;
  /** Mirrored requests the new version was sent, and those paired with a champion answer (both scored). */
  mirrored: number;
  paired: number;
  agreement: number | null;
  scoreDrift: number | null;
  errorRate: number | null;
  p99Ms: number | null;
  /** One line per failed gate; empty when passed. */
  reasons: string[];
  summary: string;
}

export interface ShadowWindow {
  dataDir: string;
  model: string;
  championVersion: number;
  shadowVersion: number;
  fromMs: number;
  toMs: number;
  threshold: number;
}

export async function analyseShadow(window: ShadowWindow, gates: ShadowGates): Promise<ShadowAnalysis> {
  const shadowDir = path.join(window.dataDir, SHADOW_PREDICTIONS_DIRECTORY, `model=${window.model}`);
  const primaryDir = path.join(window.dataDir, 'predictions', `model=${window.model}`);
  if (!(await hasParquetFiles(shadowDir)) || !(await hasParquetFiles(primaryDir))) return judge(emptyNumbers(), gates, window.threshold);
  const numbers = await withDuckDB(async (connection) => {
    const source = (dir: string) => `read_parquet(${quoteString(`${dir}/**/*.parquet`)}, hive_partitioning = true, union_by_name = true, hive_types = {'date': DATE, 'hour': INTEGER})`;
    const range = 'ts >= epoch_ms($from::BIGINT) AND ts < epoch_ms($to::BIGINT)';
    const parameters = { from: Math.floor(window.fromMs), to: Math.ceil(window.toMs), shadow: window.shadowVersion };
    // One query, one snapshot of the files: the gateway keeps flushing while this runs.
    // The champion answered first; its row may fall just outside the window when the shadow's did not: widen by a minute.
    const rows = (await connection.runAndReadAll(
      `SELECT s.status, s.error IS NOT NULL, s.latency_ms, s.score, p.score FROM (SELECT request_id, status, error, latency_ms, score FROM ${source(shadowDir)} WHERE version = $shadow AND ${range}) s ` +
        `LEFT JOIN (SELECT request_id, score FROM ${source(primaryDir)} WHERE version = $champion AND ts >= epoch_ms($from::BIGINT - 60000) AND ts < epoch_ms($to::BIGINT + 60000) AND score IS NOT NULL) p USING (request_id)`,
      { ...parameters, champion: window.championVersion },
    )).getRows();
    const paired = rows.filter((row) => Number(row[0]) < 300 && row[3] !== null && row[4] !== null);
    return {
      mirrored: rows.length,
      errors: rows.filter((row) => Number(row[0]) >= 500 || row[1] === true).length,
      p99Ms: quantile(rows.map((row) => Number(row[2])), 0.99),
      shadowScores: Float64Array.from(paired, (row) => Number(row[3])),
      championScores: Float64Array.from(paired, (row) => Number(row[4])),
    };
  });
  return judge(numbers, gates, window.threshold);
}

interface ShadowNumbers {
  mirrored: number;
  errors: number;
  p99Ms: number | null;
  shadowScores: Float64Array;
  championScores: Float64Array;
}

function emptyNumbers(): ShadowNumbers {
  return { mirrored: 0, errors: 0, p99Ms: null, shadowScores: new Float64Array(0), championScores: new Float64Array(0) };
}

/** Pure: the numbers and the gates → the verdict with its reasons. */
export function judge(numbers: ShadowNumbers, gates: ShadowGates, threshold: number): ShadowAnalysis {
  const paired = numbers.shadowScores.length;
  let agree = 0;
  for (let i = 0; i < paired; i++) if ((numbers.shadowScores[i]! >= threshold) === (numbers.championScores[i]! >= threshold)) agree++;
  const agreement = paired === 0 ? null : agree / paired;
  const scoreDrift = paired === 0 ? null : ksStatistic(numbers.shadowScores, numbers.championScores);
  const errorRate = numbers.mirrored === 0 ? null : numbers.errors / numbers.mirrored;
  const reasons: string[] = [];
  const f = (value: number) => Number(value.toPrecision(4));
  if (paired < gates.minSamples) reasons.push(`${paired} paired requests < ${gates.minSamples} needed`);
  if (agreement !== null && agreement < gates.minAgreement) reasons.push(`agreement ${f(agreement)} < min ${gates.minAgreement} (decisions at threshold ${threshold} on ${paired} requests)`);
  if (scoreDrift !== null && scoreDrift > gates.maxScoreDrift) reasons.push(`score drift (KS) ${f(scoreDrift)} > max ${gates.maxScoreDrift}`);
  if (errorRate !== null && errorRate > gates.maxErrorRate) reasons.push(`error rate ${f(errorRate)} > max ${gates.maxErrorRate} (${numbers.errors} of ${numbers.mirrored})`);
  if (numbers.p99Ms !== null && numbers.p99Ms > gates.maxP99) reasons.push(`p99 ${f(numbers.p99Ms)} ms > max ${gates.maxP99} ms`);
  const summary = `shadow: ${numbers.mirrored} mirrored, ${paired} paired; agreement ${agreement === null ? '—' : f(agreement)}, score drift ${scoreDrift === null ? '—' : f(scoreDrift)}, error rate ${errorRate === null ? '—' : f(errorRate)}, p99 ${numbers.p99Ms === null ? '—' : `${f(numbers.p99Ms)} ms`}`;
  return { passed: reasons.length === 0, mirrored: numbers.mirrored, paired, agreement, scoreDrift, errorRate, p99Ms: numbers.p99Ms, reasons, summary };
}

/** Linear interpolation between order statistics (DuckDB's quantile_cont, numpy's default); null for no values. */
function quantile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

/** Two-sample Kolmogorov-Smirnov statistic: the largest gap between the two empirical CDFs. */
function ksStatistic(a: Float64Array, b: Float64Array): number {
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  let i = 0;
  let j = 0;
  let largest = 0;
  while (i < x.length && j < y.length) {
    const value = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= value) i++;
    while (j < y.length && y[j]! <= value) j++;
    largest = Math.max(largest, Math.abs(i / x.length - j / y.length));
  }
  return largest;
}
