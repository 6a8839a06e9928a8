/**
 * `POST /v2/models/{name}/feedback { request_id, label }`: every label goes to the labels log;
 * a label for a remembered prediction also scores that version's online accuracy (once).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { FeedbackIndex } from './feedback-index.js';
import type { LabelLog } from './feedback-log.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { MODEL_NAME_PATTERN } from './route-table.js';
import type { WindowStats } from './window-stats.js';

export interface FeedbackDependencies {
  index: FeedbackIndex;
  labels: LabelLog;
  stats: WindowStats;
  metrics: GatewayMetrics;
  now: () => number;
}

export const feedbackBody = z.object({
  request_id: z.string().min(1).max(256),
  label: z.union([z.literal(0), z.literal(1)], { error: 'expected 0 or 1' }),
});
export type FeedbackBody = z.infer<typeof feedbackBody>;

export async function feedbackRoutes(app: FastifyInstance, deps: FeedbackDependencies): Promise<void> {
  app.post('/v2/models/:name/feedback', async (request, reply) => {
    const model = (request.params as { name: string }).name;
    if (!MODEL_NAME_PATTERN.test(model)) return reply.code(400).send({ error: `model name "${model}" is not valid` });
    const parsed = feedbackBody.safeParse(request.body ?? {});
    if (!parsed.success) {
      return reply.code(400).send({ error: parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ') });
    }
    const { request_id: requestId, label } = parsed.data;
    const nowMs = deps.now();
    const prediction = deps.index.find(model, requestId, nowMs);
    if (prediction && !prediction.labeled) {
      prediction.labeled = true;
      const correct = prediction.predicted === label;
      deps.stats.recordLabel(model, prediction.version, nowMs, correct);
      deps.metrics.observeFeedback(model, prediction.version, correct);
    }
    deps.labels.append({ model, requestId, timestamp: nowMs, label });
    return reply.code(202).send({ matched: prediction !== undefined });
  });
}
