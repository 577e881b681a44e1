/**
 * @module routing/strategies/quality
 * The best model that can take the request: highest quality on the task (the learned prior when
 * there is one, else the configured score) among the candidates that have the capability, the
 * context window and an estimated cost within the budget. Ties go to the cheaper, then the name.
 */

import { contextFor, describeRequest, formatUsd, type PlanStrategy } from './plan-context.js';
import { describeSkips, nothingFits, screen } from './screen.js';

export const quality: PlanStrategy = (request, candidates, snapshot, registry, given) => {
  const context = contextFor(request, candidates, snapshot, registry, given);
  const screened = screen(context);
  if (screened.fit.length === 0) throw nothingFits(context, screened, 'quality');
  let best = 0;
  let bestQuality = context.quality(screened.fit[0]!);
  for (let k = 1; k < screened.fit.length; k++) {
    const q = context.quality(screened.fit[k]!);
    const cost = screened.cost[k]!;
    const bestCost = screened.cost[best]!;
    if (
      q > bestQuality ||
      (q === bestQuality &&
        (cost < bestCost ||
          (cost === bestCost &&
            context.set.models[screened.fit[k]!]!.name < context.set.models[screened.fit[best]!]!.name)))
    ) {
      best = k;
      bestQuality = q;
    }
  }
  const name = context.set.models[screened.fit[best]!]!.name;
  const skipped = describeSkips(screened.skips, context.need());
  const source = context.snapshot.priors?.get(context.classification().task, name) ? 'prior' : 'quality';
  return {
    kind: 'sequence',
    strategy: 'quality',
    attempts: [{ model: name, reason: 'highest quality that fits' }],
    reason:
      `quality: ${describeRequest(context)} → ${name} (${source} ${bestQuality.toFixed(3)}, ` +
      `${formatUsd(screened.cost[best]!)} est.); ${screened.fit.length} fit${skipped === '' ? '' : `; ${skipped}`}`,
  };
};
