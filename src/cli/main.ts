/** The `mlops` command line. Each command lives in commands/; this file only wires them. */
import { Command, InvalidArgumentError } from 'commander';
import { parseFlap } from '../serving/model-server-faults.js';

const program = new Command('mlops').description('Model lifecycle as durable Temporal workflows').showHelpAfterError();

const int = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number ≥ 0`);
  return n;
};
const flap = (name: string) => (value: string) => {
  try {
    return parseFlap(value, name);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
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
  .option('--pipeline <file>', 'read the registry named by this pipeline definition (embedded or MLflow)')
  .option('--mlflow <uri>', 'read an MLflow tracking server (bearer token from MLFLOW_TRACKING_TOKEN when set)')
  .action(async (opts: { registryDir?: string; pipeline?: string; mlflow?: string }) => exit(await (await import('./commands/registry.js')).registryListCommand(opts)));
registry
  .command('show <model> [version]')
  .option('--registry-dir <dir>', 'embedded registry directory (default .data/registry)')
  .option('--pipeline <file>', 'read the registry named by this pipeline definition (embedded or MLflow)')
  .option('--mlflow <uri>', 'read an MLflow tracking server (bearer token from MLFLOW_TRACKING_TOKEN when set)')
  .action(async (model: string, version: string | undefined, opts: { registryDir?: string; pipeline?: string; mlflow?: string }) =>
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
  .option('--pattern-shift <share>', 'share of the fraud that follows a new pattern the old model scores as safe (0 = none, 1 = all)', share('--pattern-shift'), 0)
  .option('--compression <codec>', 'parquet compression: zstd | snappy | uncompressed', 'zstd')
  .action(async (opts) => exit(await (await import('./commands/generate-data.js')).generateDataCommand(opts)));

program
  .command('serve')
  .description('serve one model version over the Open Inference Protocol v2 (the local deploy target runs this)')
  .requiredOption('--model <name>', 'registered model name')
  .requiredOption('--version <n>', 'version to serve', int('--version'))
  .option('--port <n>', 'port (0 = any free port)', int('--port'), 0)
  .option('--host <host>', 'interface to listen on', '127.0.0.1')
  .option('--registry-dir <dir>', 'embedded registry directory (default .data/registry)')
  .option('--fault-error-rate <share>', 'fault injection: share of requests answered 500 (drills and demos)', share('--fault-error-rate'))
  .option('--fault-latency-ms <ms>', 'fault injection: added latency per request', int('--fault-latency-ms'))
  .option('--fault-duration-ms <ms>', 'fault injection: only during this long after start (a transient incident)', int('--fault-duration-ms'))
  .option('--fault-flap-ms <on/off>', 'fault injection: on for <on> ms, off for <off> ms, repeating (a flapping version)', flap('--fault-flap-ms'))
  .action(async (opts) => exit(await (await import('./commands/serve.js')).serveCommand(opts)));

program
  .command('gateway')
  .description('run the traffic gateway: weighted routing, prediction log, feedback, admin API')
  .option('--port <n>', 'port', int('--port'), 8080)
  .option('--host <host>', 'interface to listen on', '127.0.0.1')
  .option('--token-env <name>', 'environment variable holding the admin API token', 'MLOPS_GATEWAY_TOKEN')
  .option('--state-dir <dir>', "this replica's route table directory (default: the data directory); replicas sharing one data directory for their logs need one each")
  .option('--storage <url>', 'also upload the logs to this object store (s3://bucket/prefix or file:///dir): the pipelines\' `storage`, so workers on other hosts read them')
  .option('--storage-endpoint <url>', 'S3 endpoint (MinIO, SeaweedFS, GCS interoperability); credentials from the AWS SDK chain')
  .option('--storage-region <region>', 'S3 region')
  .option('--storage-path-style', 'S3 path-style addressing (MinIO, SeaweedFS)')
  .action(async (opts) => exit(await (await import('./commands/gateway.js')).gatewayCommand(opts)));

program
  .command('traffic')
  .description("send a dataset's rows through the gateway at a steady rate, with delayed labels")
  .requiredOption('--model <name>', 'model name')
  .requiredOption('--data <file>', 'CSV or Parquet rows to send')
  .option('--target <column>', 'label column (sent later as feedback, never as a feature)', 'is_fraud')
  .option('--exclude <columns>', 'comma-separated columns not to send', 'transaction_id')
  .option('--gateway <url>', 'gateway base URL', process.env.MLOPS_GATEWAY_URL ?? 'http://127.0.0.1:8080')
  .option('--rps <n>', 'requests per second', Number, 50)
  .option('--seconds <n>', 'how long to send', Number, 60)
  .option('--label-share <share>', 'share of requests whose label is fed back', share('--label-share'), 0.5)
  .option('--label-delay-ms <ms>', 'delay before a label is fed back', int('--label-delay-ms'), 1000)
  .option('--kpi <name=rate>', 'also feed back a 0/1 business KPI for every answer, 1 with this probability (e.g. clicked=0.2)')
  .option('--kpi-challenger-drop <share>', "the newest version's KPI rate is lower by this share (e.g. 0.3: 0.2 → 0.14)", share('--kpi-challenger-drop'), 0)
  .action(async (opts) => exit(await (await import('./commands/traffic.js')).trafficCommand({ ...opts, exclude: String(opts.exclude).split(',').filter(Boolean) })));

const canary = program.command('canary').description("a running canary: status, approve (answer a waiting approval gate, else promote now), reject (a waiting gate), abort (roll back now), pause, resume");
for (const action of ['status', 'approve', 'reject', 'abort', 'pause', 'resume'] as const) {
  canary
    .command(`${action} <model>`)
    .option('--reason <text>', 'recorded with the decision')
    .action(async (model: string, opts: { reason?: string }) => exit(await (await import('./commands/canary.js')).canaryCommand(action, model, opts)));
}

program
  .command('history <model>')
  .description("the model's audit timeline: training runs, registrations, traffic changes, approvals, promotions and rollbacks")
  .option('--since <time>', 'only events from this time on (ISO 8601, or relative: 2h, 7d)')
  .option('--at <time>', 'also print which versions served which share of traffic at this time')
  .option('--json', 'print the timeline as JSON')
  .option('--pipeline <file>', "the model's pipeline definition (its registry and gateway; default: embedded registry, local gateway)")
  .action(async (model: string, opts: { since?: string; at?: string; json?: boolean; pipeline?: string }) => exit(await (await import('./commands/history.js')).historyCommand(model, opts)));

program
  .command('rollback <model>')
  .description('move traffic and the champion alias back now (aborts a running canary first)')
  .option('--to <version>', 'version to roll back to (default: the previous champion)', int('--to'))
  .option('--pipeline <file>', "the model's pipeline definition (required: its registry and deploy target)")
  .action(async (model: string, opts: { to?: number; pipeline?: string }) => exit(await (await import('./commands/rollback.js')).rollbackCommand(model, opts)));

program
  .command('api')
  .description('run the API server: POST /hooks/new-data (signed new-data events start modelPipeline), drift reports, model pages (GET /models/<model>), GET /health')
  .option('--config <file>', 'YAML/JSON config: pipelines, object routes, signatures, port (see src/triggers/api-config.ts)')
  .option('--pipeline <file...>', "pipeline definition(s) to serve by model name (added to the config's)")
  .option('--host <host>', 'interface to listen on (default 127.0.0.1)')
  .option('--port <n>', 'port (default 8090)', int('--port'))
  .option('--secret-env <name>', 'env var holding the Standard Webhooks secret (default MLOPS_WEBHOOK_SECRET)')
  .option('--github-secret-env <name>', 'env var holding an X-Hub-Signature-256 secret (off unless given)')
  .action(async (opts) => exit(await (await import('./commands/api.js')).apiCommand(opts)));

const performance = program.command('performance').description('production performance monitoring (delayed labels, CBPE estimates, fairness, concept drift)');
performance
  .command('check <pipeline.yaml>')
  .description('run performanceMonitor now; prints each window\'s realised and estimated metrics and the findings')
  .option('--follow', 'follow the retraining it starts')
  .action(async (file: string, opts: { follow?: boolean }) => exit(await (await import('./commands/performance.js')).performanceCheckCommand(file, { follow: Boolean(opts.follow) })));

const drift = program.command('drift').description('drift monitoring');
drift
  .command('check <file>')
  .description('run driftMonitor now for the window ending now; prints the verdict and the report')
  .option('--follow', 'follow the retraining run it starts, if any')
  .action(async (file: string, opts: { follow?: boolean }) => exit(await (await import('./commands/drift.js')).driftCheckCommand(file, { follow: Boolean(opts.follow) })));
drift
  .command('compare')
  .description('drift between two CSV/Parquet files with the drift monitor\'s engine; exit 0 no drift, 1 drift, 2 error')
  .requiredOption('--reference <file|model@version>', 'reference data file, or a registered version\'s reference profile')
  .requiredOption('--current <file>', 'current data file')
  .option('--columns <a,b,...>', 'columns to compare (default: every column both sides have)')
  .option('--method <test>', 'force a test for every column (ks, chisquare, z, wasserstein, jensenshannon, psi, kl, psi_reference_quantiles)')
  .option('--threshold <x>', 'p-value or distance threshold (default: the test\'s own)')
  .option('--pipeline <file>', 'take the registry and monitor.drift options from this definition')
  .option('--html <file>', 'write the HTML report')
  .option('--json <file>', 'write the JSON report')
  .action(async (opts) => exit(await (await import('./commands/drift-compare.js')).driftCompareCommand(opts)));

const schedule = program.command('schedule').description('the Temporal Schedules a definition asks for (drift checks, periodic retraining)');
schedule
  .command('apply <file>')
  .description('create or update the schedules of a pipeline definition (overlap: SKIP)')
  .action(async (file: string) => exit(await (await import('./commands/schedule.js')).scheduleApplyCommand(file)));
schedule.command('list').action(async () => exit(await (await import('./commands/schedule.js')).scheduleListCommand()));
for (const action of ['pause', 'unpause', 'trigger', 'delete'] as const) {
  schedule
    .command(`${action} <scheduleId>`)
    .description(`${action} a schedule, e.g. drift/fraud-detector`)
    .action(async (id: string) => exit(await (await import('./commands/schedule.js')).scheduleActionCommand(action, id)));
}

const image = program.command('image').description('serving images of registered versions (Docker engine + image registry)');
image
  .command('build <file> <version>')
  .description("build and push a version's serving image, as the pipeline's build-image step does, and record its digest")
  .action(async (file: string, version: string) => exit(await (await import('./commands/image.js')).imageBuildCommand(file, Number(version))));

program
  .command('worker')
  .description('run a worker for our workflows and activities (Ctrl-C to stop)')
  .option('--policy <file>', 'worker policy: which definition files, data, inline definitions, commands and images a workflow start may use (also MLOPS_WORKER_POLICY; default: files and data under this directory, inline definitions with the built-in trainer only)')
  .action(async (options: { policy?: string }) => {
    if (options.policy) process.env.MLOPS_WORKER_POLICY = options.policy;
    await import('../../workers/main.js');
  });

/** The command is done: exit with its code, giving sockets a moment to close but never hanging on one. */
function exit(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2_000).unref();
}

program.parseAsync().catch((err: Error) => {
  console.error(`mlops: ${err.message}`);
  process.exit(1);
});
