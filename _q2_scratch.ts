import { DuckDBInstance } from '@duckdb/node-api';
const dir = process.argv[2]!;
const inst = await DuckDBInstance.create(':memory:');
const c = await inst.connect();
const src = `read_parquet('${dir}/**/*.parquet', hive_partitioning = true, union_by_name = true, hive_types = {'date': DATE, 'hour': INTEGER})`;
const where = `WHERE ts >= TIMESTAMP '2025-01-01' AND ts < TIMESTAMP '2025-01-02'`;
async function time(label: string, sql: string) {
  const t0 = performance.now();
  const r = await c.runAndReadAll(sql);
  r.getRows();
  console.log(label, ((performance.now() - t0) / 1000).toFixed(2), 's rss', (process.memoryUsage().rss / 1e6).toFixed(0));
}
const nums = Array.from({ length: 20 }, (_, i) => `f_n${i}`);
await time('sum1', `SELECT sum(f_n0) FROM ${src} ${where}`);
await time('sum20', `SELECT ${nums.map((n) => `sum(${n})`).join(', ')} FROM ${src} ${where}`);
await time('sum20 nowhere', `SELECT ${nums.map((n) => `sum(${n})`).join(', ')} FROM ${src}`);
await time('sum+sumsq+min+max 20', `SELECT ${nums.map((n) => `count(${n}), sum(${n}), sum(${n}*${n}), min(${n}), max(${n})`).join(', ')} FROM ${src} ${where}`);
await time('stddev 20', `SELECT ${nums.map((n) => `stddev_pop(${n})`).join(', ')} FROM ${src} ${where}`);
await time('reservoir_quantile 1 x 101', `SELECT reservoir_quantile(f_n0, ${'[' + Array.from({ length: 101 }, (_, i) => (i / 100).toString()).join(',') + ']'}, 100000) FROM ${src} ${where}`);
