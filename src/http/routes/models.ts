/**
 * @module http/routes/models
 * Model listings: the OpenAI shape (`GET /v1/models`, `GET /v1/models/{id}`) and the
 * orchestrator shape of the seed documents (`GET /models`, `GET /models/{name}/status`), which
 * adds capabilities, prices, quality and live status.
 */

import { GatewayError } from '../../core/errors.js';
import type { ModelEntry } from '../../registry/registry.js';
import type { HttpContext } from '../context.js';
import { sendJson } from '../respond.js';

const CREATED = Math.floor(Date.now() / 1000);

function param(http: HttpContext, name: string): string {
  const raw = http.params[name] ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new GatewayError('INVALID_REQUEST', `${name}: not a valid URL-encoded name`, {
      details: { field: name },
    });
  }
}

function openAIModel(id: string, ownedBy: string) {
  return { id, object: 'model', created: CREATED, owned_by: ownedBy };
}

function ownerOf(model: ModelEntry): string {
  return model.deployments[0]?.provider ?? 'switchyard';
}

export function listOpenAIModels(http: HttpContext): void {
  const { registry } = http.gateway;
  const data = [
    ...[...registry.models.values()]
      .filter((m) => m.deployments.length > 0)
      .map((m) => openAIModel(m.name, ownerOf(m))),
    ...[...registry.routes.keys()].map((name) => openAIModel(name, 'switchyard-route')),
  ];
  sendJson(http.res, 200, { object: 'list', data });
}

export function getOpenAIModel(http: HttpContext): void {
  const id = param(http, 'id');
  const { registry } = http.gateway;
  const model = registry.get(id);
  if (model && model.deployments.length > 0) {
    sendJson(http.res, 200, openAIModel(id, ownerOf(model)));
    return;
  }
  if (registry.routes.has(id)) {
    sendJson(http.res, 200, openAIModel(id, 'switchyard-route'));
    return;
  }
  throw new GatewayError('NOT_FOUND', `unknown model: ${id}`, { details: { field: 'id' } });
}

export function describeModel(model: ModelEntry) {
  return {
    name: model.name,
    status: model.deployments.length > 0 ? 'available' : 'unavailable',
    ...(model.unavailableReason ? { reason: model.unavailableReason } : {}),
    tier: model.tier,
    capabilities: [...model.capabilities],
    context_window: model.contextWindow ?? null,
    quality_score: model.quality,
    cost: {
      input_per_1k: model.prices.inputPerMTok / 1000,
      output_per_1k: model.prices.outputPerMTok / 1000,
      input_per_mtok: model.prices.inputPerMTok,
      output_per_mtok: model.prices.outputPerMTok,
      ...(model.prices.cachedInputPerMTok === undefined
        ? {}
        : { cached_input_per_mtok: model.prices.cachedInputPerMTok }),
    },
    provider: ownerOf(model),
    deployments: model.deployments.map((d) => ({
      id: d.id,
      provider: d.provider,
      type: d.providerType,
      model: d.target.model,
      weight: d.weight,
    })),
  };
}

export function listModels(http: HttpContext): void {
  sendJson(http.res, 200, { models: [...http.gateway.registry.models.values()].map(describeModel) });
}

export function modelStatus(http: HttpContext): void {
  const name = param(http, 'name');
  const model = http.gateway.registry.get(name);
  if (!model) throw new GatewayError('NOT_FOUND', `unknown model: ${name}`, { details: { field: 'name' } });
  const recent = http.gateway.stats.query({ timeRangeMs: 5 * 60_000, model: name });
  const circuitsById = new Map(http.gateway.circuits().map((c) => [c.deployment, c]));
  const open = model.deployments.filter((d) => circuitsById.get(d.id)?.state === 'open').length;
  sendJson(http.res, 200, {
    name,
    status:
      model.deployments.length === 0
        ? 'unavailable'
        : open === model.deployments.length
          ? 'circuit_open'
          : 'available',
    ...(model.unavailableReason ? { reason: model.unavailableReason } : {}),
    in_flight: model.deployments.reduce((sum, d) => sum + http.gateway.inFlight(d.id), 0),
    errors: recent.totals.failed,
    requests_5m: recent.totals.requests,
    latency_ms: recent.latency_ms,
    deployments: model.deployments.map((d) => ({
      id: d.id,
      provider: d.provider,
      in_flight: http.gateway.inFlight(d.id),
    })),
  });
}
