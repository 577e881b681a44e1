/**
 * @module eval/tally
 * Sums of replay outcomes per (strategy, setting). A strategy's setting is evaluated on each test
 * fold with what was learned on the matching training folds; the tallies of all folds add up to one
 * out-of-sample operating point per setting.
 */

export interface EvalPoint {
  strategy: string;
  setting: string;
  accuracy: number;
  cost_per_query: number;
  /** Share of queries that called the most expensive model. */
  strong_call_share: number;
}

interface Tally {
  strategy: string;
  setting: string;
  order: number;
  score: number;
  cost: number;
  strong: number;
  queries: number;
}

export interface Tallies {
  /** Adds one query's outcome under a strategy's setting; `order` sorts settings in the output. */
  add(
    strategy: string,
    setting: string,
    order: number,
    outcome: { score: number; cost: number; strong: boolean },
  ): void;
  /** Adds many queries at once (for methods evaluated in closed form). */
  addSums(
    strategy: string,
    setting: string,
    order: number,
    sums: { score: number; cost: number; strong: number; queries: number },
  ): void;
  points(): EvalPoint[];
}

export function createTallies(): Tallies {
  const tallies = new Map<string, Tally>();
  const get = (strategy: string, setting: string, order: number): Tally => {
    const key = `${strategy}\u0000${setting}`;
    let tally = tallies.get(key);
    if (!tally) {
      tally = { strategy, setting, order, score: 0, cost: 0, strong: 0, queries: 0 };
      tallies.set(key, tally);
    }
    return tally;
  };
  return {
    add(strategy, setting, order, outcome) {
      const tally = get(strategy, setting, order);
      tally.score += outcome.score;
      tally.cost += outcome.cost;
      if (outcome.strong) tally.strong++;
      tally.queries++;
    },
    addSums(strategy, setting, order, sums) {
      const tally = get(strategy, setting, order);
      tally.score += sums.score;
      tally.cost += sums.cost;
      tally.strong += sums.strong;
      tally.queries += sums.queries;
    },
    points() {
      const strategyOrder = new Map<string, number>();
      for (const t of tallies.values())
        if (!strategyOrder.has(t.strategy)) strategyOrder.set(t.strategy, strategyOrder.size);
      return [...tallies.values()]
        .filter((t) => t.queries > 0)
        .sort((a, b) => strategyOrder.get(a.strategy)! - strategyOrder.get(b.strategy)! || a.order - b.order)
        .map((t) => ({
          strategy: t.strategy,
          setting: t.setting,
          accuracy: t.score / t.queries,
          cost_per_query: t.cost / t.queries,
          strong_call_share: t.strong / t.queries,
        }));
    },
  };
}
