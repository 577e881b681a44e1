/**
 * @module http/routes/operations
 * Health, metrics and feedback: `GET /health` (components), `GET /v1/health` (the seed
 * documents' shape, per model), `GET /metrics` (Prometheus text), `GET /v1/metrics` (JSON with
 * totals and percentiles over a time range), `POST /v1/feedback`.
 */

import { GatewayError, invalidRequest } from '../../core/errors.js';
import { parseTimeRange } from '../../observability/stats.js';
import { readJsonBody } from '../body.js';
import type { HttpContext } from '../context.js';
import { sendJson, sendText } from '../respond.js';

const STARTED = Date.now();

function modelHealth(http: HttpContext) {
  const recent = http.gateway.stats.query({ timeRangeMs: 5 * 60_000 });
  const out: Record<
    string,
    { available: boolean; success_rate: number | null; requests_5m: number; reason?: string }
  > = {};
  for (const model of http.gateway.registry.models.values()) {
    const seen = recent.models[model.name];
    out[model.name] = {
      available: model.deployments.length > 0,
      // A client hanging up is not the model failing: only errors count against it.
      success_rate: seen && seen.requests > 0 ? (seen.requests - seen.failed) / seen.requests : null,
      requests_5m: seen?.requests ?? 0,
      ...(model.unavailableReason ? { reason: model.unavailableReason } : {}),
    };
  }
  return out;
}

export function health(http: HttpContext): void {
  const models = [...http.gateway.registry.models.values()];
  const available = models.filter((m) => m.deployments.length > 0).length;
  const circuits = http.gateway.circuits();
  const open = circuits.filter((c) => c.state === 'open');
  const status =
    available === 0 || (circuits.length > 0 && open.length === circuits.length) ? 'degraded' : 'healthy';
  sendJson(http.res, status === 'healthy' ? 200 : 503, {
    status,
    uptime_s: Math.round((Date.now() - STARTED) / 1000),
    components: {
      router: 'up',
      executor: 'up',
      ledger: 'up',
      metrics: http.gateway.config.metrics.enabled ? 'up' : 'disabled',
      models: `${available}/${models.length} available`,
      circuits: `${open.length} of ${circuits.length} open`,
    },
    open_circuits: open.map((c) => c.deployment),
    queue_depth: http.gateway.queue().depth,
  });
}

export function healthV1(http: HttpContext): void {
  const models = modelHealth(http);
  const anyAvailable = Object.values(models).some((m) => m.available);
  sendJson(http.res, anyAvailable ? 200 : 503, {
    status: anyAvailable ? 'healthy' : 'degraded',
    models,
    services: { router: 'active', executor: 'active', ledger: 'active', metrics: 'active' },
  });
}

export async function prometheus(http: HttpContext): Promise<void> {
  const { metrics } = http.gateway;
  sendText(http.res, 200, await metrics.text(), metrics.contentType);
}

export function metricsJson(http: HttpContext): void {
  const range = http.query.get('time_range') ?? '1h';
  const model = http.query.get('model') ?? undefined;
  if (model !== undefined && !http.gateway.registry.get(model)) {
    throw new GatewayError('NOT_FOUND', `unknown model: ${model}`, { details: { field: 'model' } });
  }
  const snapshot = http.gateway.stats.query({
    timeRangeMs: parseTimeRange(range),
    ...(model ? { model } : {}),
  });
  sendJson(http.res, 200, snapshot);
}

export async function feedback(http: HttpContext): Promise<void> {
  const body = (await readJsonBody(http.req, http.bodyLimitBytes)) as Record<string, unknown>;
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw invalidRequest('expected a JSON object');
  const { request_id: requestId, rating, feedback: comment } = body;
  if (typeof requestId !== 'string' || requestId.length === 0 || requestId.length > 128) {
    throw invalidRequest('request_id: expected the x-switchyard-request-id of a response', 'request_id');
  }
  if (typeof rating !== 'number' || !Number.isFinite(rating) || rating < -1 || rating > 5) {
    throw invalidRequest('rating: expected a number from -1 to 5', 'rating');
  }
  if (comment !== undefined && (typeof comment !== 'string' || comment.length > 4000)) {
    throw invalidRequest('feedback: expected a string of at most 4000 characters', 'feedback');
  }
  await http.gateway.ledger.flush();
  const found = await http.gateway.ledger.setFeedback(requestId, rating, comment as string | undefined);
  if (!found)
    throw new GatewayError('NOT_FOUND', `no request with id ${requestId}`, {
      details: { field: 'request_id' },
    });
  sendJson(http.res, 200, { status: 'feedback recorded', request_id: requestId });
}
