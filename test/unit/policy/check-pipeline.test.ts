/**
 * The worker policy's rules one by one, on real files and symlinks in a temporary root, plus the
 * invariants fast-check can state: no path outside every root is ever accepted, whatever `..`,
 * `.` or repeated separators it is written with.
 */
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkDataSource, checkDefinition, checkDefinitionFile } from '../../../src/policy/check-pipeline.js';
import { PolicyViolation } from '../../../src/policy/policy-violation.js';
import { defaultWorkerPolicy, loadWorkerPolicy, resolveWorkerPolicy, workerPolicyFrom } from '../../../src/policy/worker-policy.js';
import { PipelineDefinition, type PipelineDefinitionInput } from '../../../src/spec/schema.js';

let root: string;
let outside: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'mlops-policy-unit-'));
  outside = await mkdtemp(path.join(os.tmpdir(), 'mlops-policy-outside-'));
  await mkdir(path.join(root, 'defs'));
  await writeFile(path.join(root, 'defs', 'p.yaml'), 'model: x\n');
  await writeFile(path.join(outside, 'secret.csv'), 'a,b\n1,2\n');
  await symlink(path.join(outside, 'secret.csv'), path.join(root, 'defs', 'link.csv'));
  await symlink(path.join(root, 'defs', 'p.yaml'), path.join(root, 'defs', 'inside-link.yaml'));
});

const definition = (train: PipelineDefinitionInput['train'], extra: Partial<PipelineDefinitionInput> = {}) =>
  PipelineDefinition.parse({ model: 'm', data: { source: path.join(root, 'data.csv'), target: 'y' }, train, ...extra });

const violation = (run: () => unknown): PolicyViolation => {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyViolation);
    return err as PolicyViolation;
  }
  throw new Error('expected a PolicyViolation');
};

describe('paths', () => {
  it('accepts files under a root, also through a symlink that stays inside', () => {
    const policy = defaultWorkerPolicy(root);
    expect(checkDefinitionFile(policy, path.join(root, 'defs', 'p.yaml'))).toBe(path.join(policy.definitionRoots[0]!, 'defs', 'p.yaml'));
    expect(checkDefinitionFile(policy, path.join(root, 'defs', 'inside-link.yaml'))).toBe(path.join(policy.definitionRoots[0]!, 'defs', 'p.yaml'));
    checkDataSource(policy, path.join(root, 'not-yet-there.csv'));
  });

  it('refuses paths outside, `..` escapes and symlinks leading out, naming the field', () => {
    const policy = defaultWorkerPolicy(root);
    expect(violation(() => checkDefinitionFile(policy, '/etc/passwd')).field).toBe('pipelineFile');
    expect(violation(() => checkDataSource(policy, path.join(root, '..', path.basename(outside), 'secret.csv'))).rule).toMatch(/is outside the allowed roots/);
    expect(violation(() => checkDataSource(policy, path.join(root, 'defs', 'link.csv'))).rule).toMatch(/resolves \(through a symlink\) to a path outside/);
    // A sibling whose name starts like the root is not inside it.
    expect(violation(() => checkDataSource(policy, `${root}-evil/data.csv`)).field).toBe('data.source');
    expect(violation(() => checkDataSource(policy, 's3://bucket/data.csv')).rule).toMatch(/is not under a data root/);
  });

  it('never accepts a path that is lexically outside every root (property)', () => {
    const policy = defaultWorkerPolicy(root);
    const segment = fc.constantFrom('..', '.', '', 'defs', 'a', 'b', path.basename(root), path.basename(outside));
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), fc.boolean(), (segments, fromRoot) => {
        const candidate = (fromRoot ? root : path.dirname(root)) + '/' + segments.join('/');
        const resolved = path.resolve(candidate);
        const inside = resolved === policy.definitionRoots[0] || resolved.startsWith(`${policy.definitionRoots[0]}/`);
        let accepted = true;
        try {
          checkDataSource(policy, candidate);
        } catch (err) {
          if (!(err instanceof PolicyViolation)) throw err;
          accepted = false;
        }
        // Accepted only if inside; inside paths are accepted unless they run through the outward symlink.
        if (accepted) expect(inside).toBe(true);
        if (inside && !resolved.includes('link.csv')) expect(accepted).toBe(true);
      }),
      { seed: 15, numRuns: 2000 },
    );
  });
});

describe('runtimes, commands and images', () => {
  it('inline definitions: the built-in trainer only, no faults, unless the policy says so', () => {
    const policy = defaultWorkerPolicy(root);
    checkDefinition(policy, definition({ runtime: 'builtin' }), { kind: 'inline' });
    expect(violation(() => checkDefinition(policy, definition({ runtime: 'command', command: ['python3', 'train.py'] }), { kind: 'inline' })).field).toBe('train.runtime');
    expect(violation(() => checkDefinition(policy, definition({ runtime: 'container', image: 'x:1' }), { kind: 'inline' })).field).toBe('train.runtime');
    const drill = definition({ runtime: 'builtin' }, { deploy: { gateway: { url: 'http://127.0.0.1:1' }, faults: { errorRate: 0.5, addedLatencyMs: 0 } } });
    expect(violation(() => checkDefinition(policy, drill, { kind: 'inline' })).field).toBe('deploy.faults');
    checkDefinition(policy, drill, { kind: 'file', file: path.join(root, 'defs', 'p.yaml') });
    const closed = resolveWorkerPolicy({ inline: { allowed: false } }, root, 'closed');
    expect(violation(() => checkDefinition(closed, definition({ runtime: 'builtin' }), { kind: 'inline' })).rule).toMatch(/inline definitions are not accepted by closed/);
  });

  it('the command and image allowlists apply to definitions from files too', () => {
    const policy = resolveWorkerPolicy({ commands: ['python3', '/usr/bin/env'], images: ['registry.example.com/ml/'] }, root, 'allowlists');
    const file = { kind: 'file' as const, file: path.join(root, 'defs', 'p.yaml') };
    checkDefinition(policy, definition({ runtime: 'command', command: ['python3', 'train.py'] }), file);
    checkDefinition(policy, definition({ runtime: 'command', command: ['/usr/bin/env', 'python3'] }), file);
    expect(violation(() => checkDefinition(policy, definition({ runtime: 'command', command: ['sh', '-c', 'id'] }), file)).rule).toMatch(/"sh" is not on the command allowlist of allowlists/);
    checkDefinition(policy, definition({ runtime: 'container', image: 'registry.example.com/ml/trainer:3' }), file);
    expect(violation(() => checkDefinition(policy, definition({ runtime: 'container', image: 'registry.example.com/mlx/trainer:3' }), file)).field).toBe('train.image');
  });
});

describe('the policy file', () => {
  it('is read from --policy or MLOPS_WORKER_POLICY, with roots relative to the file', async () => {
    const file = path.join(root, 'policy.yaml');
    await writeFile(file, 'definitions: { roots: [defs] }\ndata: { roots: [/srv/data, "s3://bucket/landing"] }\ncommands: [python3]\n');
    const policy = workerPolicyFrom(undefined, { MLOPS_WORKER_POLICY: file }, '/');
    expect(policy.definitionRoots).toEqual([path.join(defaultWorkerPolicy(root).definitionRoots[0]!, 'defs')]);
    expect(policy.dataRoots).toEqual(['/srv/data', 's3://bucket/landing']);
    checkDataSource(policy, 's3://bucket/landing/2026/12/03.parquet');
    expect(violation(() => checkDataSource(policy, 's3://bucket/landingzone/x.parquet')).field).toBe('data.source');
    expect(policy.commands).toEqual(['python3']);
    expect(loadWorkerPolicy(file).source).toBe(file);
  });

  it('a bad policy fails naming the field, as a policy problem', async () => {
    const file = path.join(root, 'bad-policy.yaml');
    await writeFile(file, 'inline: { runtimes: [shell] }\ncommand: [sh]\n');
    const error = violation(() => loadWorkerPolicy(file));
    expect(error.message).toMatch(/invalid worker policy/);
    expect(error.message).toMatch(/inline\.runtimes\[0\]/);
    expect(error.message).toMatch(/command: unknown field/);
  });
});
