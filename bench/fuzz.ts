/**
 * The fuzz suites at a larger size than `npm test` runs them (10,000 cases each, fixed seed):
 * definitions, inference (model server and gateway), webhooks. Prints each suite's summary line.
 *
 *   npm run bench fuzz [cases=100000]
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const cases = Number(process.argv[2] ?? 100_000);
const root = path.resolve(import.meta.dirname, '..');
const suites = ['test/unit/spec/definition-fuzz.test.ts', 'test/unit/serving/inference-fuzz.test.ts', 'test/unit/triggers/webhook-fuzz.test.ts'];
for (const suite of suites) {
  const started = performance.now();
  const result = spawnSync(path.join(root, 'node_modules/.bin/vitest'), ['run', '--config', 'vitest.unit.config.ts', suite, '--testTimeout', '3600000'], {
    cwd: root,
    env: { ...process.env, MLOPS_FUZZ_CASES: String(cases) },
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  const summary = `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => /fuzz( \(|:)/.test(line)).map((line) => line.trim());
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  console.log(`${suite}: ${result.status === 0 ? 'passed' : `FAILED (exit ${result.status})`} in ${seconds} s`);
  for (const line of summary) console.log(`  ${line}`);
  if (result.status !== 0) console.log(`${result.stdout.split('\n').filter((l) => /Error|×/.test(l)).slice(0, 10).join('\n')}`);
}
