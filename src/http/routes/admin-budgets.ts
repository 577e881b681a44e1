/**
 * @module http/routes/admin-budgets
 * `GET /admin/budgets`: every budget in its current period — the global, project and user ones
 * from the config and each live key's — with its limit, what is spent and what in-flight
 * requests hold, and whether its alert has gone out.
 */

import { managedAdmission } from '../../admission/create-admission.js';
import type { HttpContext } from '../context.js';
import { sendJson } from '../respond.js';

export async function listBudgets(http: HttpContext): Promise<void> {
  const admission = managedAdmission(http.gateway.admission);
  if (admission === undefined) {
    sendJson(http.res, 200, { alert_threshold: http.gateway.config.budgets.alert_threshold, budgets: [] });
    return;
  }
  const views = await admission.budgets();
  sendJson(http.res, 200, {
    alert_threshold: admission.alertThreshold,
    budgets: views.map((view) => {
      const committed = view.spentNanos + view.reservedNanos;
      let status: 'ok' | 'alert' | 'exhausted' = 'ok';
      if (committed >= view.limitNanos) status = 'exhausted';
      else if (view.alerted || view.spentNanos >= admission.alertThreshold * view.limitNanos)
        status = 'alert';
      return {
        level: view.level,
        name: view.name ?? null,
        label: view.label,
        window: view.window,
        period: view.period,
        limit_usd: view.limitNanos / 1e9,
        spent_usd: view.spentNanos / 1e9,
        reserved_usd: view.reservedNanos / 1e9,
        remaining_usd: Math.max(0, view.limitNanos - committed) / 1e9,
        used_fraction: view.limitNanos === 0 ? 1 : view.spentNanos / view.limitNanos,
        alert_sent: view.alerted,
        status,
        resets_at: view.resetsAt === undefined ? null : new Date(view.resetsAt).toISOString(),
      };
    }),
  });
}
