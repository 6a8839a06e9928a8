import type { PipelineDefinition } from '../spec/schema.js';

/** The one-screen summary `mlops validate` prints for a valid definition. */
export function summariseDefinition(definition: PipelineDefinition, definitionHash: string): string {
  const { data, train, evaluate, registry } = definition;
  const contract = data.contract;
  const gates = Object.entries(evaluate.gates).map(([name, gate]) => {
    if (name === 'fairness') {
      const f = gate as NonNullable<typeof evaluate.gates.fairness>;
      const bounds = [
        f.demographic_parity_difference && `demographic_parity_difference ≤ ${f.demographic_parity_difference.max}`,
        f.demographic_parity_ratio && `demographic_parity_ratio ≥ ${f.demographic_parity_ratio.min}`,
        f.equalized_odds_difference && `equalized_odds_difference ≤ ${f.equalized_odds_difference.max}`,
      ].filter(Boolean);
      return `fairness over "${f.attribute}": ${bounds.join(', ') || '(no bounds)'}`;
    }
    if (name === 'champion') {
      const c = gate as NonNullable<typeof evaluate.gates.champion>;
      return `champion: ${c.metric} may regress by at most ${c.maxRegression}`;
    }
    const b = gate as { min?: number; max?: number };
    return `${name}${b.min !== undefined ? ` ≥ ${b.min}` : ''}${b.max !== undefined ? ` ≤ ${b.max}` : ''}`;
  });
  const lines = [
    `✓ ${definition.model}: valid pipeline definition (hash ${definitionHash.slice(0, 12)})`,
    definition.description ? `  ${definition.description}` : undefined,
    `  data      ${data.source} (${data.format ?? 'format from extension'}), target "${data.target}"`,
    `  features  ${data.features ? data.features.join(', ') : `all columns except the target${data.exclude.length ? ` and ${data.exclude.join(', ')}` : ''}`}`,
    contract
      ? `  contract  ${Object.keys(contract.columns).length} column checks, at least ${contract.minRows} rows${contract.maxRows ? `, at most ${contract.maxRows}` : ''}`
      : '  contract  none (only the target column is checked)',
    train.runtime === 'builtin'
      ? `  train     built-in ${train.algorithm} (l2 ${train.params.l2}, ≤ ${train.params.maxIterations} iterations), timeout ${train.timeout}`
      : train.runtime === 'command'
        ? `  train     command: ${train.command.join(' ')} (${train.dataFormat} splits), timeout ${train.timeout}`
        : `  train     container ${train.image}${train.command ? ` (${train.command.join(' ')})` : ''}: ${train.cpus} CPU, ${train.memory} memory, network ${train.network}, ${train.dataFormat} splits, timeout ${train.timeout}`,
    `  evaluate  hold-out ${evaluate.holdout} (seed ${evaluate.seed}), threshold ${evaluate.threshold}`,
    ...(gates.length ? gates.map((g, i) => `  ${i === 0 ? 'gates   ' : '        '}  ${g}`) : ['  gates     none (every trained model becomes a challenger)']),
    `  registry  ${registry.kind}${registry.kind === 'embedded' && registry.path ? ` at ${registry.path}` : ''}`,
    ...deploySummary(definition),
    ...monitorSummary(definition),
  ];
  return lines.filter((l) => l !== undefined).join('\n');
}

function deploySummary({ deploy }: PipelineDefinition): string[] {
  if (!deploy) return ['  deploy    none (the pipeline ends at registration)'];
  const c = deploy.canary;
  return [
    `  deploy    ${deploy.target} behind ${deploy.gateway.urls ? `${deploy.gateway.urls.length} gateway replicas (${deploy.gateway.urls.join(', ')})` : `the gateway at ${deploy.gateway.url}`} (token from $${deploy.gateway.tokenEnv}), metrics from ${deploy.metrics.kind}`,
    `  canary    ${c.steps.map((s) => `${s.weight}%`).join(' → ')}, ${c.slaWindow} window per step, a check every ${c.interval}`,
    `            SLA error rate ≤ ${c.sla.errorRate.max}, p99 ≤ ${c.sla.latencyP99Ms.max} ms, ≥ ${c.sla.minSamples} requests per check; hard limit error rate ≤ ${c.hardLimits.errorRate.max}`,
    `            fail-safe after ${c.consecutiveErrorLimit} checks without metrics; too little evidence: ${c.onInsufficientEvidence}`,
    `            one rollout of the model at a time; a run that finds one going: ${{ queue: 'waits its turn', skip: 'is not rolled out', supersede: 'rolls it back and goes next' }[deploy.concurrency]} (concurrency ${deploy.concurrency})`,
    ...(deploy.shadow ? [`  shadow    ${deploy.shadow.percent}% of requests mirrored to the new version for ${deploy.shadow.duration} before any live traffic; gates: agreement ≥ ${deploy.shadow.gates.minAgreement}, score drift (KS) ≤ ${deploy.shadow.gates.maxScoreDrift}, error rate ≤ ${deploy.shadow.gates.maxErrorRate}, p99 ≤ ${deploy.shadow.gates.maxP99} ms, ≥ ${deploy.shadow.gates.minSamples} paired requests`] : []),
    ...(c.sla.kpis ? [`            KPIs vs the champion: ${Object.entries(c.sla.kpis).map(([name, bound]) => `${name} ${bound.maxRelativeRise !== undefined ? `not above +${bound.maxRelativeRise * 100}%` : `not below −${(bound.maxRelativeDrop ?? 0) * 100}%`} (anytime-valid, alpha ${bound.alpha})`).join(', ')}`] : []),
    ...(deploy.experiment ? [`  experiment ${deploy.experiment.percent}% on the new version for ${deploy.experiment.duration} instead of the steps; reports ${deploy.experiment.kpis.join(', ')} vs the champion (${(1 - deploy.experiment.alpha) * 100}% anytime-valid) on feedback from ${deploy.experiment.warmup ?? c.interval} after the split; a person decides within ${deploy.experiment.decisionTimeout}, then ${deploy.experiment.onTimeout}`] : []),
    ...(deploy.faults ? [`  faults    DRILL: ${deploy.faults.errorRate * 100}% errors, +${deploy.faults.addedLatencyMs} ms${deploy.faults.duration ? ` for ${deploy.faults.duration}` : ''}${deploy.faults.flap ? `, flapping ${deploy.faults.flap.on} on / ${deploy.faults.flap.off} off` : ''}`] : []),
  ];
}

function monitorSummary({ monitor, alerts }: PipelineDefinition): string[] {
  const lines: string[] = [];
  if (monitor?.drift) {
    const d = monitor.drift;
    lines.push(`  drift     "${d.schedule}" over ${d.window} of logged predictions, ${d.method} tests, dataset drift at ${d.datasetThreshold * 100}% of features; on drift: ${d.onDrift.join(' + ')}`);
  }
  if (monitor?.performance) {
    const p = monitor.performance;
    const bounds = Object.entries(p.metrics).map(([metric, bound]) => `${metric} drop ≤ ${bound!.maxDrop}`).join(', ');
    lines.push(`  perf      "${p.schedule}" per ${p.window} window over ${p.lookback}: ${bounds} (≥ ${p.minLabels} labels, ≥ ${p.minLabelCoverage * 100}% labelled)${p.estimate ? ', CBPE estimate' : ''}; on degradation: ${p.onDegradation.join(' + ')}`);
  }
  if (monitor?.retrain) lines.push(`  retrain   "${monitor.retrain.schedule}"`);
  if (alerts) {
    const sinks = [alerts.pagerduty && `PagerDuty ($${alerts.pagerduty.routingKeyEnv})`, alerts.slack && `Slack ($${alerts.slack.webhookUrlEnv})`, alerts.webhook && `webhook ($${alerts.webhook.urlEnv})`].filter(Boolean);
    lines.push(`  alerts    ${sinks.join(', ') || 'none'}`);
  }
  return lines;
}
