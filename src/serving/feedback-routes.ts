/**
 * `POST /v2/models/{name}/feedback { request_id, label?, kpis? }`: every label goes to the labels
 * log and every KPI value to the KPI log; for a remembered prediction each also counts toward
 * that version's numbers (online accuracy, KPI sums), once per request and KPI.
 *
 * Feedback comes from clients nobody vouches for, so KPI names are bounded: a plain pattern, at
 * most MAX_KPIS_PER_FEEDBACK per body and MAX_KPI_NAMES_PER_MODEL distinct names per model (each
 * name is a Prometheus series per version; an unbounded set would exhaust the gateway's memory).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { FeedbackIndex } from './feedback-index.js';
import type { LabelLog } from './feedback-log.js';
import { KPI_NAME_PATTERN, MAX_KPI_NAMES_PER_MODEL, MAX_KPIS_PER_FEEDBACK } from './gateway-contract.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import type { KpiLog } from './kpi-log.js';
import { MODEL_NAME_PATTERN } from './route-table.js';
import type { WindowStats } from './window-stats.js';

export interface FeedbackDependencies {
  index: FeedbackIndex;
  labels: LabelLog;
  kpiLog: KpiLog;
  stats: WindowStats;
  metrics: GatewayMetrics;
  now: () => number;
}

const kpiValues = z.record(z.string(), z.number().finite({ error: 'expected a finite number' })).superRefine((kpis, ctx) => {
  const names = Object.keys(kpis);
  if (names.length > MAX_KPIS_PER_FEEDBACK) ctx.addIssue({ code: 'custom', message: `at most ${MAX_KPIS_PER_FEEDBACK} KPIs per feedback, got ${names.length}` });
  for (const name of names.filter((n) => !KPI_NAME_PATTERN.test(n)).slice(0, 3)) {
    ctx.addIssue({ code: 'custom', path: [name], message: 'KPI names are lower-case letters, digits and _ (at most 40), starting with a letter' });
  }
});

export const feedbackBody = z
  .object({
    request_id: z.string().min(1).max(256),
    label: z.union([z.literal(0), z.literal(1)], { error: 'expected 0 or 1' }).optional(),
    kpis: kpiValues.optional(),
  })
  .refine((body) => body.label !== undefined || (body.kpis !== undefined && Object.keys(body.kpis).length > 0), {
    error: 'expected a label (0 or 1), KPI values (kpis: {name: number}), or both',
  });
export type FeedbackBody = z.infer<typeof feedbackBody>;

export async function feedbackRoutes(app: FastifyInstance, deps: FeedbackDependencies): Promise<void> {
  const kpiNames = new Map<string, Set<string>>();
  app.post('/v2/models/:name/feedback', async (request, reply) => {
    const model = (request.params as { name: string }).name;
    if (!MODEL_NAME_PATTERN.test(model)) return reply.code(400).send({ error: `model name "${model}" is not valid` });
    const parsed = feedbackBody.safeParse(request.body ?? {});
    if (!parsed.success) {
      return reply.code(400).send({ error: parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ') });
    }
    const { request_id: requestId, label, kpis = {} } = parsed.data;
    const names = kpiNames.get(model) ?? new Set<string>();
    const unseen = Object.keys(kpis).filter((name) => !names.has(name));
    if (names.size + unseen.length > MAX_KPI_NAMES_PER_MODEL) {
      return reply.code(400).send({ error: `kpis: model "${model}" already has ${names.size} KPI names (at most ${MAX_KPI_NAMES_PER_MODEL}); refused ${unseen.join(', ')}` });
    }
    for (const name of unseen) names.add(name);
    kpiNames.set(model, names);

    const nowMs = deps.now();
    const prediction = deps.index.find(model, requestId, nowMs);
    if (prediction && label !== undefined && !prediction.labeled) {
      prediction.labeled = true;
      const correct = prediction.predicted === label;
      deps.stats.recordLabel(model, prediction.version, nowMs, correct);
      deps.metrics.observeFeedback(model, prediction.version, correct);
    }
    for (const [kpi, value] of Object.entries(kpis)) {
      if (prediction && !prediction.kpis?.includes(kpi)) {
        (prediction.kpis ??= []).push(kpi);
        deps.stats.recordKpi(model, prediction.version, nowMs, kpi, value);
        deps.metrics.observeKpi(model, prediction.version, kpi, value);
      }
      deps.kpiLog.append({ model, requestId, timestamp: nowMs, kpi, value });
    }
    if (label !== undefined) deps.labels.append({ model, requestId, timestamp: nowMs, label });
    return reply.code(202).send({ matched: prediction !== undefined });
  });
}
