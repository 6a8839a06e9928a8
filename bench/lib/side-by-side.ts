/**
 * Shared by the side-by-side benchmarks (ours vs the tool a user would otherwise pick): the
 * machine line, the load average, the median, running one side as its own process and reading
 * its one-line JSON answer, and appending the printed report to a markdown file.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { appendFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '..', '..');
export const TSX = path.join(REPO, 'node_modules', '.bin', 'tsx');

export function machineLine(): string {
  const cpus = os.cpus();
  const gib = (os.totalmem() / 2 ** 30).toFixed(0);
  let distro = os.release();
  try {
    distro = /PRETTY_NAME="([^"]+)"/.exec(execFileSync('cat', ['/etc/os-release'], { encoding: 'utf8' }))?.[1] ?? distro;
  } catch {
    // keep the kernel release
  }
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${gib} GiB, ${distro}, Node ${process.version}`;
}

export function loadAverage(): string {
  return os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' / ');
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface ChildOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Runs one side in its own process, stderr passed through, and returns the last stdout line
 * parsed as JSON. A non-zero exit or no JSON answer throws with what the child printed.
 */
export async function runJsonChild<T>(command: string, args: string[], options: ChildOptions = {}): Promise<T> {
  const child = spawn(command, args, { cwd: options.cwd ?? REPO, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (stdout += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const lines = stdout.trim().split('\n');
  if (code !== 0) throw new Error(`${path.basename(command)} ${args.join(' ')} exited with ${code}:\n${stdout}`);
  try {
    return JSON.parse(lines[lines.length - 1]!) as T;
  } catch {
    throw new Error(`${path.basename(command)} ${args.join(' ')} printed no JSON answer:\n${stdout}`);
  }
}

/** The Python interpreter of a reference's virtualenv, installed into the versioned cache once. */
export function referencePython(reference: 'great-expectations' | 'scikit-learn'): string {
  const out = execFileSync(path.join(REPO, 'bench', 'install-references'), [reference], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').pop()!;
}

/** The environment for a Python child: ours, less what would pin OpenBLAS to a kernel or cache size. */
export function pythonEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/** `--append [file]`: the printed report is appended to that file (default docs/benchmarks.md). */
export function appendTarget(argv: readonly string[]): string | undefined {
  const index = argv.indexOf('--append');
  if (index < 0) return undefined;
  const next = argv[index + 1];
  return path.resolve(REPO, next && !next.startsWith('--') ? next : 'docs/benchmarks.md');
}

export async function appendReport(file: string, report: string): Promise<void> {
  const existing = await readFile(file, 'utf8').catch(() => '');
  await appendFile(file, `${existing.endsWith('\n\n') || existing === '' ? '' : existing.endsWith('\n') ? '\n' : '\n\n'}${report.trimEnd()}\n`);
  console.log(`\nappended to ${path.relative(REPO, file)}`);
}

export function option(argv: readonly string[], name: string, fallback: string): string {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 && argv[index + 1] !== undefined ? argv[index + 1]! : fallback;
}
