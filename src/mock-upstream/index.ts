/**
 * @module mock-upstream
 * A mock LLM provider served over real HTTP (OpenAI wire), for tests, benchmarks and the
 * keyless "simulated models" mode. Independent of the gateway's own provider and HTTP code,
 * so it can check them.
 */

export { FAULT_KINDS, type FaultKind, type FaultSpec, parseFault } from './faults.js';
export {
  type InvoiceEntry,
  type MockModelSettings,
  type MockUpstream,
  type MockUpstreamCliOptions,
  type MockUpstreamOptions,
  type RecordedRequest,
  runMockUpstreamCli,
  startMockUpstream,
} from './server.js';
export { countTokens, splitTokens } from './tokens.js';
