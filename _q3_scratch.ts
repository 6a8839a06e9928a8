import { DuckDBInstance } from '@duckdb/node-api';
const dir = process.argv[2]!;
const inst = await DuckDBInstance.create(':memory:');
const c = await inst.connect();
console.log((await c.runAndReadAll(`SELECT current_setting('threads')`)).getRows());
const src = `read_parquet('${dir}/**/*.parquet', hive_partitioning = true, union_by_name = true, hive_types = {'date': DATE, 'hour': INTEGER})`;
const where = `WHERE ts >= TIMESTAMP '2025-01-01' AND ts < TIMESTAMP '2025-01-02'`;
async function time(label: string, sql: string) {
  const t0 = performance.now();
  const r = await c.runAndReadAll(sql);
  r.getRows();
  console.log(label, ((performance.now() - t0) / 1000).toFixed(2), 's rss', (process.memoryUsage().rss / 1e6).toFixed(0));
}
const nums = Array.from({ length: 20 }, (_, i) => `f_n${i}`);
const cats = Array.from({ length: 5 }, (_, i) => `f_c${i}`);
const grid = '[' + Array.from({ length: 1001 }, (_, i) => (i / 1000).toString()).join(',') + ']';
await time('rq1001 x20', `SELECT ${nums.map((n) => `reservoir_quantile(${n}, ${grid}, 100000)`).join(', ')} FROM ${src} ${where}`);
await time('count,min,max x20', `SELECT ${nums.map((n) => `count(${n}), min(${n}), max(${n})`).join(', ')} FROM ${src} ${where}`);
await time('count x20', `SELECT ${nums.map((n) => `count(${n})`).join(', ')} FROM ${src} ${where}`);
await time('min x20', `SELECT ${nums.map((n) => `min(${n})`).join(', ')} FROM ${src} ${where}`);
await time('avg x20', `SELECT ${nums.map((n) => `avg(${n})`).join(', ')} FROM ${src} ${where}`);
await time('fsum x20', `SELECT ${nums.map((n) => `fsum(${n})`).join(', ')} FROM ${src} ${where}`);
await time('cats group by x5', `SELECT ${cats.map((n) => `histogram(${n})`).join(', ')} FROM ${src} ${where}`);
for (const cat of cats.slice(0, 1)) await time('cat group by ' + cat, `SELECT ${cat}, count(*) FROM ${src} ${where} GROUP BY ALL`);
