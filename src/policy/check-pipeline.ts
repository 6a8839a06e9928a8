/**
 * The worker policy applied to a run: where its definition came from, what its data points at,
 * and what its trainer would run. Paths are compared lexically first (nothing outside a root is
 * even opened), then after realpath, so `..` and symlinks cannot leave a root.
 */
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { PipelineDefinition } from '../spec/schema.js';
import { PolicyViolation } from './policy-violation.js';
import { realpathOrSelf, type WorkerPolicy } from './worker-policy.js';

/** Where a definition came from: a file under the roots, or the workflow input itself. */
export type DefinitionOrigin = { kind: 'file'; file: string } | { kind: 'inline' };

/** The definition file's real path, if the policy lets the worker read it. */
export function checkDefinitionFile(policy: WorkerPolicy, file: string): string {
  return checkPath(file, policy.definitionRoots, 'pipelineFile', `definition files are read only from ${describeRoots(policy.definitionRoots)} (${policy.source})`);
}

/** Throws PolicyViolation for the first thing the policy does not allow. */
export function checkDefinition(policy: WorkerPolicy, definition: PipelineDefinition, origin: DefinitionOrigin): void {
  if (origin.kind === 'inline') {
    if (!policy.inline.allowed) {
      throw new PolicyViolation('pipeline', `inline definitions are not accepted by ${policy.source}; pass pipelineFile, a file under ${describeRoots(policy.definitionRoots)}`);
    }
    const runtime = definition.train.runtime;
    if (!policy.inline.runtimes.includes(runtime)) {
      throw new PolicyViolation(
        'train.runtime',
        `"${runtime}" runs code on the worker and is not allowed in an inline definition by ${policy.source} (inline runtimes: ${policy.inline.runtimes.join(', ')}); put the definition in a file under ${describeRoots(policy.definitionRoots)}`,
      );
    }
    if (definition.deploy?.faults !== undefined && !policy.inline.faults) {
      throw new PolicyViolation('deploy.faults', `drill faults are not allowed in an inline definition by ${policy.source}; put the drill in a file under ${describeRoots(policy.definitionRoots)}`);
    }
  }
  checkDataSource(policy, definition.data.source);
  checkTrainer(policy, definition);
}

/** The command and image allowlists (checked again by the training activity itself). */
export function checkTrainer(policy: WorkerPolicy, definition: PipelineDefinition): void {
  const train = definition.train;
  if (train.runtime === 'command' && policy.commands !== undefined) {
    const program = train.command[0]!;
    if (!commandAllowed(policy.commands, program, train.workingDirectory)) {
      throw new PolicyViolation('train.command[0]', `${quote(program)} is not on the command allowlist of ${policy.source} (${policy.commands.map(quote).join(', ')})`);
    }
  }
  if (train.runtime === 'container' && policy.images !== undefined) {
    if (!policy.images.some((prefix) => train.image.startsWith(prefix))) {
      throw new PolicyViolation('train.image', `${quote(train.image)} does not start with an image prefix allowed by ${policy.source} (${policy.images.map(quote).join(', ')})`);
    }
  }
}

/** `data.source` (already resolved against the definition's folder), or an s3:// object a run names, must be under a data root. */
export function checkDataSource(policy: WorkerPolicy, source: string): void {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    if (!policy.dataRoots.some((root) => /^[a-z][a-z0-9+.-]*:\/\//i.test(root) && (source === root || source.startsWith(root.endsWith('/') ? root : `${root}/`)))) {
      throw new PolicyViolation('data.source', `${quote(source)} is not under a data root of ${policy.source} (${describeRoots(policy.dataRoots)})`);
    }
    return;
  }
  checkPath(source, policy.dataRoots, 'data.source', `data is read only from ${describeRoots(policy.dataRoots)} (${policy.source})`);
}

function checkPath(target: string, roots: string[], field: string, rule: string): string {
  const absolute = path.resolve(target);
  const fileRoots = roots.filter((root) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(root));
  // Lexically first: a path outside every root is refused without being opened or stat'ed.
  if (!fileRoots.some((root) => isInside(absolute, root))) throw new PolicyViolation(field, `${quote(target)} is outside the allowed roots: ${rule}`);
  const real = realOf(absolute);
  if (!fileRoots.some((root) => isInside(real, root))) {
    throw new PolicyViolation(field, `${quote(target)} resolves (through a symlink) to a path outside the allowed roots: ${rule}`);
  }
  return real;
}

/** The real path; for a path that does not exist yet, its deepest existing parent's real path plus the rest. */
function realOf(absolute: string): string {
  if (existsSync(absolute)) return realpathSync.native(absolute);
  const parent = path.dirname(absolute);
  if (parent === absolute) return absolute;
  return path.join(realOf(parent), path.basename(absolute));
}

function isInside(target: string, root: string): boolean {
  const relative = path.relative(root, target);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function commandAllowed(allowed: string[], program: string, workingDirectory: string | undefined): boolean {
  if (allowed.includes(program)) return true;
  if (!program.includes('/')) return false;
  const real = realpathOrSelf(path.resolve(workingDirectory ?? process.cwd(), program));
  return allowed.some((entry) => path.isAbsolute(entry) && realpathOrSelf(entry) === real);
}

function describeRoots(roots: string[]): string {
  return roots.map(quote).join(', ');
}

function quote(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 197)}...` : text);
}
