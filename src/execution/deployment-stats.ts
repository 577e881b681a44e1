/**
 * @module execution/deployment-stats
 * Live per-deployment figures the balancer and the status routes read: attempts in flight, a
 * peak-EWMA of latency (Finagle's: jumps up at once on a slow answer, decays back over time, so
 * a deployment that turns slow is avoided immediately, while the estimate of one that gets no
 * traffic fades so it is probed again), and request/token counts in the last
 * minute and day against the deployment's RPM/RPD/TPM/TPD limits (its "free-tier" quota).
 */

import type { Deployment, DeploymentLimits } from '../registry/registry.js';

const DECAY_MS = 10_000;
const MINUTE = 60_000;
const DAY = 86_400_000;

/** A fixed-window pair (current + previous) giving a sliding estimate, O(1) per event. */
class SlidingCount {
  private windowStart = 0;
  private current = 0;
  private previous = 0;
  constructor(private readonly width: number) {}

  add(now: number, amount: number): void {
    this.roll(now);
    this.current += amount;
  }

  value(now: number): number {
    this.roll(now);
    const elapsed = (now - this.windowStart) / this.width;
    return this.current + this.previous * Math.max(0, 1 - elapsed);
  }

  private roll(now: number): void {
    if (now - this.windowStart < this.width) return;
    const windows = Math.floor((now - this.windowStart) / this.width);
    this.previous = windows === 1 ? this.current : 0;
    this.current = 0;
    this.windowStart += windows * this.width;
  }
}

interface Entry {
  inFlight: number;
  ewmaMs: number | undefined;
  ewmaAt: number;
  requestsMinute: SlidingCount;
  requestsDay: SlidingCount;
  tokensMinute: SlidingCount;
  tokensDay: SlidingCount;
}

export interface DeploymentStats {
  inFlight(id: string): number;
  begin(id: string, now?: number): void;
  end(id: string): void;
  observeLatency(id: string, ms: number, now?: number): void;
  /** Peak-EWMA latency in ms, undefined until the first answer. */
  latency(id: string, now?: number): number | undefined;
  addTokens(id: string, tokens: number, now?: number): void;
  /**
   * Share of the tightest quota left, 0..1 (1 when the deployment has no limits). A request
   * expected to use `tokens` more is included, so 0 means "this one would exceed the quota".
   */
  headroom(deployment: Deployment, tokens?: number, now?: number): number;
  usage(id: string, now?: number): { rpm: number; rpd: number; tpm: number; tpd: number };
}

/** Share of the tightest of `limits` left at `now`, counting one more request of `tokens`. */
function quotaLeft(limits: DeploymentLimits, e: Entry | undefined, tokens: number, now: number): number {
  let left = 1;
  const check = (limit: number | undefined, used: number, adding: number) => {
    if (limit === undefined) return;
    left = Math.min(left, Math.max(0, (limit - used - adding) / limit));
  };
  check(limits.rpm, e ? e.requestsMinute.value(now) : 0, 1);
  check(limits.rpd, e ? e.requestsDay.value(now) : 0, 1);
  check(limits.tpm, e ? e.tokensMinute.value(now) : 0, tokens);
  check(limits.tpd, e ? e.tokensDay.value(now) : 0, tokens);
  return left;
}

export function createDeploymentStats(clock: () => number = Date.now): DeploymentStats {
  const entries = new Map<string, Entry>();
  const entry = (id: string): Entry => {
    let found = entries.get(id);
    if (!found) {
      found = {
        inFlight: 0,
        ewmaMs: undefined,
        ewmaAt: 0,
        requestsMinute: new SlidingCount(MINUTE),
        requestsDay: new SlidingCount(DAY),
        tokensMinute: new SlidingCount(MINUTE),
        tokensDay: new SlidingCount(DAY),
      };
      entries.set(id, found);
    }
    return found;
  };
  return {
    inFlight: (id) => entries.get(id)?.inFlight ?? 0,
    begin(id, now = clock()) {
      const e = entry(id);
      e.inFlight++;
      e.requestsMinute.add(now, 1);
      e.requestsDay.add(now, 1);
    },
    end(id) {
      const e = entry(id);
      e.inFlight = Math.max(0, e.inFlight - 1);
    },
    observeLatency(id, ms, now = clock()) {
      const e = entry(id);
      const previous = e.ewmaMs === undefined ? undefined : e.ewmaMs;
      if (previous === undefined || ms > previous) {
        e.ewmaMs = ms;
      } else {
        const weight = Math.exp(-Math.max(0, now - e.ewmaAt) / DECAY_MS);
        e.ewmaMs = previous * weight + ms * (1 - weight);
      }
      e.ewmaAt = now;
    },
    latency(id, now = clock()) {
      const e = entries.get(id);
      if (!e || e.ewmaMs === undefined) return undefined;
      // An estimate without fresh samples fades, so an avoided deployment is tried again in time
      // and a recovered one wins its traffic back.
      return e.ewmaMs * Math.exp(-Math.max(0, now - e.ewmaAt) / DECAY_MS);
    },
    addTokens(id, tokens, now = clock()) {
      const e = entry(id);
      e.tokensMinute.add(now, tokens);
      e.tokensDay.add(now, tokens);
    },
    headroom(deployment, tokens = 0, now?: number) {
      const limits: DeploymentLimits = deployment.limits;
      // Most deployments have no quota: nothing to look up or roll for them.
      if (
        limits.rpm === undefined &&
        limits.rpd === undefined &&
        limits.tpm === undefined &&
        limits.tpd === undefined
      ) {
        return 1;
      }
      return quotaLeft(limits, entries.get(deployment.id), tokens, now ?? clock());
    },
    usage(id, now = clock()) {
      const e = entries.get(id);
      if (!e) return { rpm: 0, rpd: 0, tpm: 0, tpd: 0 };
      return {
        rpm: Math.round(e.requestsMinute.value(now)),
        rpd: Math.round(e.requestsDay.value(now)),
        tpm: Math.round(e.tokensMinute.value(now)),
        tpd: Math.round(e.tokensDay.value(now)),
      };
    },
  };
}
