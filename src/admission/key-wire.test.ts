import { describe, expect, it } from 'vitest';
import { MAX_USD, usdToNanos } from '../accounting/compute-cost.js';
import { GatewayError } from '../core/errors.js';
import { parseKeySpec } from './key-wire.js';

describe('parseKeySpec', () => {
  it('refuses a budget nano-dollar accounting cannot hold, as a 400 naming the field', () => {
    // 1e8 USD used to be accepted, then every request of the key failed with a 500 (RangeError).
    let refused: unknown;
    try {
      parseKeySpec({ name: 'big', budget_usd: 1e8 });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).status).toBe(400);
    expect((refused as GatewayError).message).toContain('budget_usd');
  });

  it('takes the largest budget the accounting holds', () => {
    const spec = parseKeySpec({ name: 'max', budget_usd: MAX_USD });
    expect(spec.budgetUsd).toBe(MAX_USD);
    expect(() => usdToNanos(MAX_USD)).not.toThrow();
  });
});
