/**
 * @module execution/circuit-breaker
 * One circuit breaker per deployment. Closed → open when the failure rate over a sliding time
 * window passes a threshold (once the window holds enough calls) or after N consecutive
 * failures. Open lasts longer each time it re-opens (doubling up to a cap) and that memory
 * decays while the deployment stays healthy. After the open period, half-open admits a few
 * probes, each with its own timeout — a probe that never answers counts as a failure instead of
 * keeping the circuit half-open forever. Enough successful probes close it; any failure re-opens.
 */

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitOptions {
  /** Failure share in the window that opens the circuit. */
  failureRate: number;
  windowMs: number;
  /** Calls the window must hold before the rate is trusted. */
  minCalls: number;
  consecutiveFailures: number;
  /** First open period; doubles on each re-opening up to `maxOpenMs`. */
  openMs: number;
  maxOpenMs: number;
  /** Probes admitted at once while half-open; this many successes close the circuit. */
  halfOpenProbes: number;
  /** A probe without an outcome after this long counts as failed. */
  probeTimeoutMs: number;
}

export const DEFAULT_CIRCUIT_OPTIONS: Readonly<CircuitOptions> = Object.freeze({
  failureRate: 0.5,
  windowMs: 30_000,
  minCalls: 10,
  consecutiveFailures: 5,
  openMs: 5_000,
  maxOpenMs: 60_000,
  halfOpenProbes: 2,
  probeTimeoutMs: 5_000,
});

export interface Transition {
  deployment: string;
  from: CircuitState;
  to: CircuitState;
  at: number;
  reason: string;
}

export interface Permit {
  probe: boolean;
  /** Per-attempt timeout to apply (shorter for probes). */
  timeoutMs: number | undefined;
  /** Internal: the probe slot this permit holds. */
  expiresAt: number;
}

export interface CircuitSnapshot {
  deployment: string;
  state: CircuitState;
  windowCalls: number;
  windowFailures: number;
  consecutiveFailures: number;
  openings: number;
  openUntil: number | null;
  lastTransition: Transition | null;
}

const BUCKETS = 10;

export class CircuitBreaker {
  readonly deployment: string;
  private readonly options: CircuitOptions;
  private readonly now: () => number;
  private readonly onTransition: (transition: Transition) => void;
  private current: CircuitState = 'closed';
  private readonly calls = new Array<number>(BUCKETS).fill(0);
  private readonly failures = new Array<number>(BUCKETS).fill(0);
  private bucketStart = 0;
  private bucketIndex = 0;
  private consecutive = 0;
  private openings = 0;
  private openUntil = 0;
  private lastHealthyAt: number;
  private probes: Permit[] = [];
  private probeSuccesses = 0;
  private last: Transition | null = null;

  constructor(
    deployment: string,
    options: CircuitOptions,
    onTransition: (transition: Transition) => void = () => {},
    now: () => number = Date.now,
  ) {
    this.deployment = deployment;
    this.options = options;
    this.onTransition = onTransition;
    this.now = now;
    this.bucketStart = now();
    this.lastHealthyAt = this.bucketStart;
  }

  get state(): CircuitState {
    if (this.current === 'open' && this.now() >= this.openUntil)
      this.transition('half_open', 'open period elapsed');
    if (this.current === 'half_open') this.expireProbes();
    return this.current;
  }

  /** Asks to send one attempt. Undefined means: skip this deployment for now. */
  tryAcquire(attemptTimeoutMs?: number): Permit | undefined {
    const state = this.state;
    if (state === 'closed')
      return { probe: false, timeoutMs: attemptTimeoutMs, expiresAt: Number.POSITIVE_INFINITY };
    if (state === 'open' || this.probes.length >= this.options.halfOpenProbes) return undefined;
    const timeoutMs = Math.min(attemptTimeoutMs ?? this.options.probeTimeoutMs, this.options.probeTimeoutMs);
    const permit: Permit = { probe: true, timeoutMs, expiresAt: this.now() + timeoutMs };
    this.probes.push(permit);
    return permit;
  }

  onSuccess(permit: Permit): void {
    this.record(false);
    this.consecutive = 0;
    if (!permit.probe) return;
    if (!this.releaseProbe(permit) || this.current !== 'half_open') return;
    this.probeSuccesses++;
    if (this.probeSuccesses >= this.options.halfOpenProbes) this.transition('closed', 'probes succeeded');
  }

  onFailure(permit: Permit): void {
    this.record(true);
    this.consecutive++;
    if (permit.probe) {
      if (this.releaseProbe(permit) && this.current === 'half_open') this.open('a probe failed');
      return;
    }
    if (this.current !== 'closed') return;
    if (this.consecutive >= this.options.consecutiveFailures) {
      this.open(`${this.consecutive} consecutive failures`);
      return;
    }
    const { calls, failures } = this.window();
    if (calls >= this.options.minCalls && failures / calls >= this.options.failureRate) {
      this.open(`failure rate ${Math.round((failures / calls) * 100)}% over ${calls} calls`);
    }
  }

  /** An attempt that ended without a verdict on the deployment (client gone): frees a probe slot. */
  onAbandon(permit: Permit): void {
    if (permit.probe) this.releaseProbe(permit);
  }

  /** Active health checks can open or close the circuit directly. */
  force(state: 'open' | 'closed', reason: string): void {
    if (state === 'open' && this.current !== 'open') this.open(reason);
    if (state === 'closed' && this.current !== 'closed') this.transition('closed', reason);
  }

  snapshot(): CircuitSnapshot {
    const state = this.state;
    const { calls, failures } = this.window();
    return {
      deployment: this.deployment,
      state,
      windowCalls: calls,
      windowFailures: failures,
      consecutiveFailures: this.consecutive,
      openings: this.openings,
      openUntil: state === 'open' ? this.openUntil : null,
      lastTransition: this.last,
    };
  }

  private open(reason: string): void {
    const now = this.now();
    // Memory of past openings decays: each healthy stretch as long as the cap forgives one.
    const healthyFor = now - this.lastHealthyAt;
    if (this.current === 'closed' && healthyFor > this.options.maxOpenMs) {
      this.openings = Math.max(0, this.openings - Math.floor(healthyFor / this.options.maxOpenMs));
    }
    this.openings++;
    const duration = Math.min(this.options.maxOpenMs, this.options.openMs * 2 ** (this.openings - 1));
    this.openUntil = now + duration;
    this.transition('open', `${reason}; open for ${duration} ms`);
  }

  private transition(to: CircuitState, reason: string): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    this.probes = [];
    this.probeSuccesses = 0;
    const at = this.now();
    if (to === 'closed') {
      this.consecutive = 0;
      this.calls.fill(0);
      this.failures.fill(0);
      this.lastHealthyAt = at;
    }
    this.last = { deployment: this.deployment, from, to, at, reason };
    this.onTransition(this.last);
  }

  private releaseProbe(permit: Permit): boolean {
    const index = this.probes.indexOf(permit);
    if (index === -1) return false;
    this.probes.splice(index, 1);
    return true;
  }

  private expireProbes(): void {
    const now = this.now();
    if (this.probes.some((probe) => probe.expiresAt <= now)) {
      this.open('a probe timed out');
    }
  }

  private rotate(): void {
    const now = this.now();
    const width = this.options.windowMs / BUCKETS;
    let steps = Math.floor((now - this.bucketStart) / width);
    if (steps <= 0) return;
    if (steps > BUCKETS) steps = BUCKETS;
    for (let i = 0; i < steps; i++) {
      this.bucketIndex = (this.bucketIndex + 1) % BUCKETS;
      this.calls[this.bucketIndex] = 0;
      this.failures[this.bucketIndex] = 0;
    }
    this.bucketStart = now - ((now - this.bucketStart) % width);
  }

  private record(failed: boolean): void {
    this.rotate();
    this.calls[this.bucketIndex]!++;
    if (failed) this.failures[this.bucketIndex]!++;
  }

  private window(): { calls: number; failures: number } {
    this.rotate();
    let calls = 0;
    let failures = 0;
    for (let i = 0; i < BUCKETS; i++) {
      calls += this.calls[i]!;
      failures += this.failures[i]!;
    }
    return { calls, failures };
  }
}

export interface CircuitBreakers {
  get(deployment: string): CircuitBreaker;
  all(): CircuitBreaker[];
}

export function createCircuitBreakers(
  options: CircuitOptions = DEFAULT_CIRCUIT_OPTIONS,
  onTransition: (transition: Transition) => void = () => {},
  now: () => number = Date.now,
): CircuitBreakers {
  const breakers = new Map<string, CircuitBreaker>();
  return {
    get(deployment) {
      let breaker = breakers.get(deployment);
      if (!breaker) {
        breaker = new CircuitBreaker(deployment, options, onTransition, now);
        breakers.set(deployment, breaker);
      }
      return breaker;
    },
    all: () => [...breakers.values()],
  };
}
