import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../observability/logger.js';
import { createRedactor } from '../observability/redact.js';
import { createMemoryCounterStore } from '../storage/memory/memory-counter-store.js';
import { createBudgetAlerts } from './budget-alerts.js';
import { budgetPeriod } from './budgets.js';

describe('budget alerts', () => {
  it('an alert the shared store could not claim (Redis down) is tried again, and then sent once', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'warn',
      redactor: createRedactor({ secrets: [] }),
      destination: new Writable({
        write(chunk, _encoding, callback) {
          lines.push(String(chunk));
          callback();
        },
      }),
    });
    const counters = createMemoryCounterStore();
    let down = true;
    const reserve = counters.reserve.bind(counters);
    counters.reserve = async (key, amount, limit, ttl) =>
      down ? { ok: false, used: 0, reserved: 0, unavailable: true } : reserve(key, amount, limit, ttl);
    const alerts = createBudgetAlerts({ counters, logger, threshold: 0.8 });
    const period = budgetPeriod(
      { level: 'global', label: 'global', window: 'total', limitNanos: 1_000 },
      Date.now(),
    );

    await alerts.observe(period, 900);
    expect(alerts.due(period, 900)).toBe(true);
    down = false;
    await alerts.observe(period, 900);
    await alerts.observe(period, 950);
    await alerts.idle();
    await logger.flush();
    expect(lines.filter((line) => line.includes('budget alert')).length).toBe(1);
  });
});
