/**
 * Slack incoming webhook: POST `{ text, blocks }`, answered 200 `ok`. The webhook URL is the
 * secret (it embeds the token), so it is read from the environment at send time and only its
 * origin ever appears in a log or an error.
 * https://api.slack.com/messaging/webhooks#handling_errors
 */
import type { AlertEvent } from './alert-log.js';
import { AlertRejectedError, readSecret, type AlertSink, type SinkDependencies } from './alert-sink.js';
import { deliverWithRetry, excerpt, isTransient, type AnswerVerdict, type ReceivedAnswer } from './http-delivery.js';

export interface SlackSinkSettings {
  webhookUrlEnv: string;
}

/** Slack's documented webhook errors: none of them goes away by sending the same message again. */
export const SLACK_ERRORS: Record<number, string> = {
  400: 'invalid_payload',
  403: 'action_prohibited',
  404: 'channel_not_found',
  410: 'channel_is_archived',
};

const SEVERITY_EMOJI: Record<AlertEvent['severity'], string> = { critical: ':rotating_light:', error: ':red_circle:', warning: ':warning:', info: ':information_source:' };
/** Block Kit limits: section text 3000 characters, at most 10 fields of 2000. */
const MAX_SECTION_TEXT = 3000;
const MAX_FIELDS = 10;
const MAX_FIELD_TEXT = 2000;

export class SlackSink implements AlertSink {
  readonly name = 'slack';

  constructor(private readonly settings: SlackSinkSettings, private readonly deps: SinkDependencies) {}

  async send(event: AlertEvent): Promise<void> {
    const url = readSecret(this.deps.env, this.name, this.settings.webhookUrlEnv, 'alerts.slack.webhookUrlEnv');
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new AlertRejectedError(this.name, `environment variable ${this.settings.webhookUrlEnv} (alerts.slack.webhookUrlEnv) does not hold a URL`, 0, 'invalid_url');
    }
    const body = JSON.stringify(slackMessage(event));
    await deliverWithRetry(
      {
        sink: this.name,
        target: parsed.origin,
        build: () => ({ url, headers: { 'content-type': 'application/json' }, body }),
        classify: classifySlackAnswer,
        secrets: [url, ...(parsed.pathname.length > 1 ? [parsed.pathname] : [])],
      },
      this.deps,
    );
  }
}

/** `text` is the notification fallback; `blocks` what the channel shows. */
export function slackMessage(event: AlertEvent): { text: string; blocks: unknown[] } {
  const resolved = event.action === 'resolve';
  const who = `${event.model}${event.version !== undefined ? ` v${event.version}` : ''}`;
  const headline = resolved ? `:white_check_mark: Resolved: ${who}` : `${SEVERITY_EMOJI[event.severity]} ${event.severity.toUpperCase()}: ${who}`;
  const text = `${headline}: ${event.summary}`;
  const fields = Object.entries(event.details ?? {})
    .slice(0, MAX_FIELDS)
    .map(([key, value]) => ({ type: 'mrkdwn', text: truncate(`*${escape(key)}*\n${escape(typeof value === 'string' ? value : JSON.stringify(value))}`, MAX_FIELD_TEXT) }));
  const blocks: unknown[] = [
    { type: 'section', text: { type: 'mrkdwn', text: truncate(`*${escape(headline)}*\n${escape(event.summary)}`, MAX_SECTION_TEXT) } },
    ...(fields.length > 0 ? [{ type: 'section', fields }] : []),
    { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(`${escape(event.kind)} · dedup key \`${escape(event.dedupKey)}\` · ${event.occurredAt ?? new Date().toISOString()}`, MAX_SECTION_TEXT) }] },
  ];
  return { text: truncate(text, MAX_SECTION_TEXT), blocks };
}

function classifySlackAnswer(answer: ReceivedAnswer): AnswerVerdict {
  if (answer.status === 200) return { kind: 'delivered' };
  if (isTransient(answer.status)) return { kind: 'retry', reason: `HTTP ${answer.status} ${excerpt(answer.body, 60)}` };
  const said = answer.body.trim();
  const code = /^[a-z_]+$/.test(said) ? said : SLACK_ERRORS[answer.status];
  return { kind: 'reject', error: new AlertRejectedError('slack', `rejected with HTTP ${answer.status} ${code ?? excerpt(answer.body)}`, answer.status, code) };
}

/** Slack's mrkdwn control characters. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
