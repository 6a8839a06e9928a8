/**
 * `npm run bench <name> [args…]` runs bench/<name>.ts in its own process; without a name it lists
 * the benchmarks. Each benchmark says in its header what it needs (a Temporal server, Docker, …).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const dir = import.meta.dirname;
const available = readdirSync(dir).filter((file) => file.endsWith('.ts') && file !== 'run.ts').map((file) => file.slice(0, -3)).sort();
const [name, ...rest] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  if (name) console.error(`no benchmark "${name}"`);
  console.log(`usage: npm run bench <name> [args…]\nbenchmarks: ${available.join(', ')}`);
  process.exit(name ? 2 : 0);
}
const tsx = path.join(dir, '..', 'node_modules', '.bin', 'tsx');
const result = spawnSync(tsx, [path.join(dir, `${name}.ts`), ...rest], { stdio: 'inherit' });
process.exit(result.status ?? 1);
