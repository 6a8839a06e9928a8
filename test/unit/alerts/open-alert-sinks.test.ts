import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AlertDeliveryError } from '../../../src/alerts/alert-sink.js';
import { openAlertSinks } from '../../../src/alerts/open-alert-sinks.js';
import { validateDefinition } from '../../../src/spec/validate.js';
import { AlertsSection } from '../../../src/spec/schema.js';
import { recordingDependencies, ROUTING_KEY } from './sink-test-dependencies.js';

const event = { dedupKey: 'gate/fraud/7', severity: 'error', kind: 'gate-failed', model: 'fraud', summary: 'roc_auc 0.71 < 0.85' } as const;

describe('alerts section of the pipeline definition', () => {
  it('fills defaults: env var names and the retry policy', () => {
    expect(AlertsSection.parse({ pagerduty: {}, slack: {}, webhook: {} })).toEqual({
      pagerduty: { routingKeyEnv: 'PD_ROUTING_KEY' },
      slack: { webhookUrlEnv: 'SLACK_WEBHOOK_URL' },
      webhook: { urlEnv: 'MLOPS_ALERT_WEBHOOK_URL' },
      retry: { maxAttempts: 4, initialDelay: '500ms', maxDelay: '10s', timeout: '5s' },
    });
  });

  it('names the field of every problem', () => {
    const result = validateDefinition({
      model: 'fraud',
      data: { source: 'a.csv', target: 'y' },
      alerts: { pagerduty: { routingKeyEnv: 'pd-key', url: 'ftp://pd' }, slack: { webhookUrl: 'https://hooks.slack.com/x' }, retry: { maxAttempts: 0, maxDelay: 'soon' } },
    });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
    expect(problems).toEqual([
      'alerts.pagerduty.routingKeyEnv: expected the name of an environment variable such as PD_ROUTING_KEY, got "pd-key"',
      'alerts.pagerduty.url: expected an http(s) URL such as https://events.pagerduty.com, got "ftp://pd"',
      'alerts.slack.webhookUrl: unknown field (check the spelling; see the pipeline-definition reference in the README)',
      'alerts.retry.maxAttempts: expected at least 1 attempt',
      'alerts.retry.maxDelay: expected a duration such as "30s", "15m" or "2h", got "soon"',
    ]);
  });
});

describe('openAlertSinks', () => {
  it('builds nothing without a section, and one sink per configured service otherwise', () => {
    expect(openAlertSinks(undefined)).toEqual([]);
    expect(openAlertSinks(AlertsSection.parse({}))).toEqual([]);
    expect(openAlertSinks(AlertsSection.parse({ webhook: {}, pagerduty: {}, slack: {} })).map((s) => s.name)).toEqual(['pagerduty', 'slack', 'webhook']);
  });

  it('retries network errors with backoff, then fails with a typed, retryable error that holds no secret', async () => {
    const closedUrl = await unusedUrl();
    const deps = recordingDependencies({ PD_ROUTING_KEY: ROUTING_KEY, SLACK_URL: `${closedUrl}/services/T/B/SECRETPATH` }, { maxAttempts: 3 });
    const [pagerduty, slack] = openAlertSinks(AlertsSection.parse({ pagerduty: { url: closedUrl }, slack: { webhookUrlEnv: 'SLACK_URL' } }), deps);
    const errors = await Promise.all([pagerduty!.send(event).catch((e: unknown) => e), slack!.send(event).catch((e: unknown) => e)]);
    for (const error of errors) {
      expect(error).toBeInstanceOf(AlertDeliveryError);
      expect((error as Error).message).toMatch(/not delivered after 3 attempts: network error \(ECONNREFUSED\)/);
      expect((error as Error).message).not.toMatch(/SECRETPATH|R0UT1NG/);
    }
    expect(deps.waits).toHaveLength(4);
    expect(deps.lines.join('\n')).not.toMatch(/SECRETPATH|R0UT1NG/);
  });
});

async function unusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
