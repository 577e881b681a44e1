/**
 * @module admission/budget-alerts
 * The budget alert: when a budget's spend in a period crosses `budgets.alert_threshold` of its
 * limit, say so once — one `budget alert` log line, one `switchyard_budget_alerts_total{level}`
 * increment, and a JSON POST to `budgets.webhook_url` when set. "Once" holds across replicas:
 * the first to see the crossing takes the period's alert counter (a reservation with limit 1),
 * the others find it taken. The webhook is fire-and-forget with a timeout; a failure is logged.
 */

import { Counter, type Registry } from 'prom-client';
import { request } from 'undici';
import { formatUsd, nanosToUsd } from '../accounting/compute-cost.js';
import type { Logger } from '../observability/logger.js';
import type { CounterStore } from '../storage/admission-ports.js';
import { alertCounterKey, type BudgetPeriod } from './budgets.js';

export interface BudgetAlertsOptions {
  counters: CounterStore;
  logger: Logger;
  /** Share of the limit that triggers the alert (0..1). */
  threshold: number;
  webhookUrl?: string;
  /** Where `switchyard_budget_alerts_total` is registered (the gateway's metrics registry). */
  registry?: Registry;
  webhookTimeoutMs?: number;
  now?: () => number;
}

export interface BudgetAlertEvent {
  event: 'budget.alert';
  level: string;
  name: string | null;
  label: string;
  window: string;
  period: string;
  limit_usd: number;
  spent_usd: number;
  threshold: number;
  at: string;
}

export interface BudgetAlerts {
  /**
   * Whether `observe` could have anything to do: the spend is past the threshold and this process
   * has not seen the period alerted. Synchronous, so that settling skips a promise when not.
   */
  due(period: BudgetPeriod, used: number): boolean;
  /** Called with a budget's spend after a settlement; alerts if it crossed the threshold first. */
  observe(period: BudgetPeriod, used: number): Promise<void>;
  /** Resolves when every webhook started so far has finished. */
  idle(): Promise<void>;
}

const YEAR_MS = 366 * 86_400_000;
/** Periods remembered as alerted in this process before the memo starts over (from the store). */
const MEMO_LIMIT = 10_000;

export function createBudgetAlerts(options: BudgetAlertsOptions): BudgetAlerts {
  const { counters, logger, threshold } = options;
  const now = options.now ?? Date.now;
  const timeoutMs = options.webhookTimeoutMs ?? 5_000;
  const alerts = options.registry ? alertCounter(options.registry) : undefined;
  // Periods known to be alerted already, so that settling does not ask the store every time.
  const alerted = new Set<string>();
  const webhooks = new Set<Promise<void>>();

  async function post(url: string, event: BudgetAlertEvent): Promise<void> {
    try {
      const response = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(event),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body.dump();
      if (response.statusCode >= 300) {
        logger.warn('budget alert webhook refused', { status: response.statusCode, level: event.level });
      }
    } catch (error) {
      logger.warn('budget alert webhook failed', { error, level: event.level });
    }
  }

  const due = (period: BudgetPeriod, used: number): boolean =>
    used >= threshold * period.limitNanos && !alerted.has(period.counterKey);

  return {
    due,
    async observe(period, used) {
      if (!due(period, used)) return;
      if (alerted.size >= MEMO_LIMIT) alerted.clear();
      alerted.add(period.counterKey);
      const claim = await counters.reserve(alertCounterKey(period), 1, 1, YEAR_MS);
      // The shared store is unreachable: nobody could claim it, so try again on a later request.
      if (claim.unavailable) alerted.delete(period.counterKey);
      if (!claim.ok || claim.reservationId === undefined) return;
      await counters.settle(claim.reservationId, 1);
      const event: BudgetAlertEvent = {
        event: 'budget.alert',
        level: period.level,
        name: period.name ?? null,
        label: period.label,
        window: period.window,
        period: period.period,
        limit_usd: nanosToUsd(period.limitNanos),
        spent_usd: nanosToUsd(used),
        threshold,
        at: new Date(now()).toISOString(),
      };
      logger.warn('budget alert', {
        ...event,
        summary: `${period.label} ${period.window} budget: ${formatUsd(used)} of ${formatUsd(period.limitNanos)} spent`,
      });
      alerts?.inc({ level: period.level });
      if (options.webhookUrl !== undefined) {
        const pending = post(options.webhookUrl, event);
        webhooks.add(pending);
        void pending.finally(() => webhooks.delete(pending));
      }
    },
    async idle() {
      await Promise.all(webhooks);
    },
  };
}

const ALERTS_METRIC = 'switchyard_budget_alerts_total';

/** The alerts counter in `registry`, created on first use (a reload builds admission again). */
function alertCounter(registry: Registry): Counter<'level'> {
  const existing = registry.getSingleMetric(ALERTS_METRIC);
  if (existing instanceof Counter) return existing as Counter<'level'>;
  return new Counter({
    name: ALERTS_METRIC,
    help: 'Budget alerts sent: a budget crossed budgets.alert_threshold in a period.',
    labelNames: ['level'],
    registers: [registry],
  });
}
