/**
 * @module http/routes/table
 * Every route the server answers, with its access class: `public` (no key), `key` (master key
 * or, later, a virtual key, when auth is on) or `admin`. The server registers exactly this
 * table, and a test enumerates it, so a route cannot exist without a declared access class.
 */

import type { RouteDefinition } from '../context.js';
import { circuits, queue } from './admin.js';
import { chatCompletions } from './chat-completions.js';
import { completions } from './completions.js';
import { embeddings } from './embeddings.js';
import { messages } from './messages.js';
import { getOpenAIModel, listModels, listOpenAIModels, modelStatus } from './models.js';
import { feedback, health, healthV1, metricsJson, prometheus } from './operations.js';

export const ROUTES: readonly RouteDefinition[] = [
  {
    method: 'POST',
    path: '/v1/chat/completions',
    access: 'key',
    handler: chatCompletions,
    summary: 'OpenAI chat completions',
  },
  { method: 'POST', path: '/v1/messages', access: 'key', handler: messages, summary: 'Anthropic Messages' },
  {
    method: 'POST',
    path: '/v1/completions',
    access: 'key',
    handler: completions,
    summary: 'text completions + orchestration fields',
  },
  {
    method: 'POST',
    path: '/v1/embeddings',
    access: 'key',
    handler: embeddings,
    summary: 'OpenAI embeddings',
  },
  {
    method: 'GET',
    path: '/v1/models',
    access: 'key',
    handler: listOpenAIModels,
    summary: 'OpenAI model list',
  },
  {
    method: 'GET',
    path: '/v1/models/:id*',
    access: 'key',
    handler: getOpenAIModel,
    summary: 'one OpenAI model',
  },
  { method: 'POST', path: '/v1/feedback', access: 'key', handler: feedback, summary: 'rate a response' },
  {
    method: 'GET',
    path: '/v1/metrics',
    access: 'key',
    handler: metricsJson,
    summary: 'JSON metrics over a time range',
  },
  { method: 'GET', path: '/v1/health', access: 'public', handler: healthV1, summary: 'per-model health' },
  {
    method: 'GET',
    path: '/models',
    access: 'key',
    handler: listModels,
    summary: 'models with capabilities and prices',
  },
  {
    method: 'GET',
    path: '/models/:name*/status',
    access: 'key',
    handler: modelStatus,
    summary: 'live status of one model',
  },
  { method: 'GET', path: '/health', access: 'public', handler: health, summary: 'component health' },
  { method: 'GET', path: '/metrics', access: 'public', handler: prometheus, summary: 'Prometheus metrics' },
  {
    method: 'GET',
    path: '/admin/circuits',
    access: 'admin',
    handler: circuits,
    summary: 'circuit breaker per deployment',
  },
  {
    method: 'GET',
    path: '/admin/queue',
    access: 'admin',
    handler: queue,
    summary: 'waiting requests and retry budget',
  },
];
