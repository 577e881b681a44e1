/**
 * @module http/routes/table
 * Every route the server answers, with its access class: `public` (no key), `key` (master key
 * or a virtual key, when auth is on) or `admin`. The server registers exactly this
 * table, and a test enumerates it, so a route cannot exist without a declared access class.
 */

import type { RouteDefinition } from '../context.js';
import { circuits, queue } from './admin.js';
import { listBudgets } from './admin-budgets.js';
import { reloadConfig } from './admin-config.js';
import { createKey, getKey, listKeys, revokeKey } from './admin-keys.js';
import { usage, usageExport, usageReport } from './admin-usage.js';
import { chatCompletions } from './chat-completions.js';
import { completions } from './completions.js';
import { dashboard } from './dashboard.js';
import { embeddings } from './embeddings.js';
import { getJob, listJobs, retryJob, submitJob } from './jobs.js';
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
    method: 'POST',
    path: '/admin/config/reload',
    access: 'admin',
    handler: reloadConfig,
    summary: 're-read the config file, switch to it live, tell the other replicas',
  },
  {
    method: 'GET',
    path: '/admin/queue',
    access: 'admin',
    handler: queue,
    summary: 'waiting requests and retry budget',
  },
  { method: 'POST', path: '/admin/keys', access: 'admin', handler: createKey, summary: 'mint a virtual key' },
  { method: 'GET', path: '/admin/keys', access: 'admin', handler: listKeys, summary: 'list virtual keys' },
  { method: 'GET', path: '/admin/keys/:id', access: 'admin', handler: getKey, summary: 'one virtual key' },
  { method: 'DELETE', path: '/admin/keys/:id', access: 'admin', handler: revokeKey, summary: 'revoke a key' },
  {
    method: 'GET',
    path: '/admin/budgets',
    access: 'admin',
    handler: listBudgets,
    summary: 'budgets and spend',
  },
  {
    method: 'GET',
    path: '/admin/usage',
    access: 'admin',
    handler: usage,
    summary: 'usage per period and dimension (JSON or CSV)',
  },
  {
    method: 'GET',
    path: '/admin/usage/report',
    access: 'admin',
    handler: usageReport,
    summary: 'cost report: spend, forecast, advice',
  },
  {
    method: 'GET',
    path: '/admin/usage/export',
    access: 'admin',
    handler: usageExport,
    summary: 'one row per request (CSV or JSON)',
  },
  { method: 'GET', path: '/dashboard', access: 'public', handler: dashboard, summary: 'the dashboard page' },
  {
    method: 'GET',
    path: '/dashboard/:file',
    access: 'public',
    handler: dashboard,
    summary: 'dashboard script and style',
  },
  {
    method: 'POST',
    path: '/v1/jobs',
    access: 'key',
    handler: submitJob,
    summary: 'queue a chat request as a job',
  },
  { method: 'GET', path: '/v1/jobs', access: 'key', handler: listJobs, summary: 'list jobs (?state=dead)' },
  {
    method: 'GET',
    path: '/v1/jobs/:id',
    access: 'key',
    handler: getJob,
    summary: 'a job: status, result or error',
  },
  {
    method: 'POST',
    path: '/v1/jobs/:id/retry',
    access: 'admin',
    handler: retryJob,
    summary: 'retry a dead job',
  },
];
