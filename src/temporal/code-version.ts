import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The git commit of the code that runs (recorded in lineage), or the package version outside git. */
export function codeVersion(cwd = process.cwd()): string {
  if (process.env.MLOPS_CODE_VERSION) return process.env.MLOPS_CODE_VERSION;
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return `v${pkg.version}`;
  }
}
