import { DuckDBInstance } from '@duckdb/node-api';
const dir = process.argv[2]!;
const inst = await DuckDBInstance.create(':memory:');
const c = await inst.connect();
const src = `read_parquet('${dir}/**/*.parquet', hive_partitioning = true, union_by_name = true, hive_types = {'date': DATE, 'hour': INTEGER})`;
const where = `WHERE ts >= TIMESTAMP '2025-01-01' AND ts < TIMESTAMP '2025-01-02'`;
async function time(label: string, sql: string) {
  const t0 = performance.now();
  const r = await c.runAndReadAll(sql);
  const rows = r.getRows();
  console.log(label, ((performance.now() - t0) / 1000).toFixed(2), 's', JSON.stringify(rows[0]?.slice(0, 3), (k, v) => typeof v === 'bigint' ? Number(v) : v).slice(0, 200), 'rss', (process.memoryUsage().rss / 1e6).toFixed(0));
}
const nums = Array.from({ length: 20 }, (_, i) => `f_n${i}`);
const cats = Array.from({ length: 5 }, (_, i) => `f_c${i}`);
await time('count', `SELECT count(*) FROM ${src} ${where}`);
await time('moments', `SELECT count(*), ${nums.map((n) => `count(${n}), avg(${n}), stddev_pop(${n}), min(${n}), max(${n})`).join(', ')} FROM ${src} ${where}`);
await time('hll', `SELECT ${nums.map((n) => `approx_count_distinct(${n})`).join(', ')} FROM ${src} ${where}`);
const qs = '[' + Array.from({ length: 101 }, (_, i) => (i / 100).toString()).join(',') + ']';
await time('approxq101 x1', `SELECT approx_quantile(f_n0, ${qs}) FROM ${src} ${where}`);
await time('approxq101 x20', `SELECT ${nums.map((n) => `approx_quantile(${n}, ${qs})`).join(', ')} FROM ${src} ${where}`);
await time('sample 100k', `SELECT ${nums.join(',')} FROM ${src} ${where} USING SAMPLE reservoir(100000 ROWS) REPEATABLE (7)`);
await time('cats', `SELECT ${cats.map((n) => `histogram(${n})`).join(', ')} FROM ${src} ${where}`);
