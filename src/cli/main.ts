/** The `mlops` command line. Each command lives in commands/; this file only wires them. */
import { Command, InvalidArgumentError } from 'commander';

const program = new Command('mlops').description('Model lifecycle as durable Temporal workflows').showHelpAfterError();

const int = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number ≥ 0`);
  return n;
};
const share = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`${name} must be a number between 0 and 1`);
  return n;
};

program
  .command('validate <file>')
  .description('check a pipeline definition; lists every problem with its line and path')
  .action(async (file: string) => exit(await (await import('./commands/validate.js')).validateCommand(file)));

program
  .command('run <file>')
  .description('start modelPipeline for a definition and follow it to its outcome')
  .option('--no-follow', 'start (or attach) and return at once')
  .action(async (file: string, opts: { follow: boolean }) => exit(await (await import('./commands/run.js')).runCommand(file, { follow: opts.follow, trigger: 'cli' })));

program
  .command('status <workflowId>')
  .description('show a run: status, steps with timings, outcome')
  .action(async (id: string) => exit(await (await import('./commands/status.js')).statusCommand(id)));

const registry = program.command('registry').description('read the model registry');
registry
  .command('list')
  .option('--registry-dir <dir>', 'embedded registry directory (default .data/registry)')
  .action(async (opts: { registryDir?: string }) => exit(await (await import('./commands/registry.js')).registryListCommand(opts)));
registry
  .command('show <model> [version]')
  .option('--registry-dir <dir>', 'embedded registry directory (default .data/registry)')
  .action(async (model: string, version: string | undefined, opts: { registryDir?: string }) =>
    exit(await (await import('./commands/registry.js')).registryShowCommand(model, version, opts)));

program
  .command('generate-data')
  .description('write a seeded, realistic fraud-like dataset (CSV or Parquet)')
  .requiredOption('--out <file>', 'output file (.csv or .parquet)')
  .option('--rows <n>', 'number of rows', int('--rows'), 50_000)
  .option('--seed <n>', 'random seed', int('--seed'), 7)
  .option('--fraud-rate <share>', 'share of fraudulent rows', share('--fraud-rate'), 0.03)
  .option('--drift <amount>', 'shift of the feature distributions (0 = none, 1 = strong)', Number, 0)
  .option('--label-noise <share>', 'share of labels flipped', share('--label-noise'), 0)
  .option('--compression <codec>', 'parquet compression: zstd | snappy | uncompressed', 'zstd')
  .action(async (opts) => exit(await (await import('./commands/generate-data.js')).generateDataCommand(opts)));

program
  .command('worker')
  .description('run a worker for our workflows and activities (Ctrl-C to stop)')
  .action(async () => {
    await import('../../workers/main.js');
  });

function exit(code: number): void {
  process.exitCode = code;
}

program.parseAsync().catch((err: Error) => {
  console.error(`mlops: ${err.message}`);
  process.exit(1);
});
