/**
 * @module gateway/null-ledger
 * The ledger when `ledger.enabled: false`: records nothing and says so when asked.
 */

import type { Ledger } from '../storage/ports.js';

export function createNullLedger(): Ledger {
  return {
    append() {},
    flush: async () => {},
    get: async () => undefined,
    query: async () => [],
    count: async () => 0,
    setFeedback: async () => false,
    close: async () => {},
  };
}
