/**
 * @module switchyard
 * The library API: build a gateway from a config and serve requests in-process, or start its
 * HTTP server.
 */

export { ConfigError, loadConfigFile, parseConfigObject, parseConfigText } from './config/load.js';
export type { Config, ConfigInput } from './config/schema.js';
export type { ChatRequest, ChatResult, EmbeddingRequest, EmbeddingResult, StreamPart } from './core/chat.js';
export { ERROR_TABLE, type ErrorCode, GatewayError } from './core/errors.js';
export type { Usage } from './core/usage.js';
export { type CreateGatewayOptions, createGateway } from './gateway/create-gateway.js';
export type { Gateway } from './gateway/gateway.js';
export { type OrchestrateInput, type OrchestrationResult, orchestrate } from './gateway/orchestrate.js';
export { startHttpServer } from './http/server.js';
export { startMockUpstream } from './mock-upstream/server.js';
