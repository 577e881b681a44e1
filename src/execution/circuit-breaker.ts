/**
 * @module execution/circuit-breaker
 * One circuit breaker per deployment. Closed → open when the failure rate over a sliding time
 * window passes a threshold (once the window holds enough calls) or after N consecutive
 * failures. Open lasts longer each time it re-opens (doubling up to a cap) and that memory
 * decays while the deployment stays healthy. After the open period, half-open admits a few
 * probes, each with its own timeout — a probe that never answers counts as a failure instead of
 * keeping the circuit half-open forever. Enough successful probes close it; any failure re-opens.
 *
 * Replicas share what their breakers learn: `forceOpen(until, reason, replica)` opens this
 * breaker because another replica's opened, until the moment that one's open period ends — then
 * this breaker probes half-open on its own, as usual. Such a transition names the replica that
 * caused it, so whoever publishes transitions can leave it out (no echo between replicas), and a
 * forced opening does not count among this breaker's own openings (it does not lengthen the next).
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
  /** The replica whose breaker caused this transition; absent when this breaker decided it. */
  replica?: string;
  /** Epoch ms the circuit stays open until (transitions to `open` only). */
  openUntil?: number;
}

/** Why a breaker is open when another replica opened it. */
export interface RemoteCause {
  replica: string;
  reason: string;
  /** When this breaker learnt of it. */
  at: number;
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
  /** Set while the circuit is open because another replica's opened. */
  remote: RemoteCause | null;
}

const BUCKETS = 10;

export class CircuitBreaker {
  readonly deployment: string;
  private options: CircuitOptions;
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
  private remote: RemoteCause | null = null;

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

  /**
   * Opens the circuit until `until` (epoch ms) because `replica`'s breaker opened; an open period
   * already reaching further is kept. Returns whether anything changed. The transition carries
   * `replica`, and this breaker's own count of openings is left alone.
   */
  forceOpen(until: number, reason: string, replica = 'another replica'): boolean {
    const now = this.now();
    if (until <= now) return false;
    if (this.state === 'open' && this.openUntil >= until) return false;
    this.remote = { replica, reason, at: now };
    this.openUntil = until;
    if (this.current === 'open') return true; // extended, still open: not a transition
    this.transition('open', `${reason}; open for ${until - now} ms`, replica);
    return true;
  }

  /**
   * Closes a circuit that is open only because another replica's was, now that `replica` saw the
   * deployment recover. A circuit this breaker opened itself stays open: its own probes decide.
   */
  releaseRemote(reason: string, replica = 'another replica'): boolean {
    if (this.remote === null || this.state !== 'open') return false;
    this.transition('closed', reason, replica);
    return true;
  }

  /** Adopts new settings (a config reload); the current state and counts are kept. */
  configure(options: CircuitOptions): void {
    this.options = options;
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
      remote: state === 'open' ? this.remote : null,
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

  private transition(to: CircuitState, reason: string, replica?: string): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    this.probes = [];
    this.probeSuccesses = 0;
    // A remote cause explains only the open period it set; whatever comes next is this breaker's.
    if (replica === undefined || to !== 'open') this.remote = null;
    const at = this.now();
    if (to === 'closed') {
      this.consecutive = 0;
      this.calls.fill(0);
      this.failures.fill(0);
      this.lastHealthyAt = at;
    }
    this.last = { deployment: this.deployment, from, to, at, reason };
    if (replica !== undefined) this.last.replica = replica;
    if (to === 'open') this.last.openUntil = this.openUntil;
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
  /** New settings for every breaker, present and future (a config reload). */
  configure(options: CircuitOptions): void;
  /** Forgets the breakers of deployments not in `deployments` (removed by a reload). */
  retain(deployments: Iterable<string>): void;
}

export function createCircuitBreakers(
  initial: CircuitOptions = DEFAULT_CIRCUIT_OPTIONS,
  onTransition: (transition: Transition) => void = () => {},
  now: () => number = Date.now,
): CircuitBreakers {
  const breakers = new Map<string, CircuitBreaker>();
  let options = initial;
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
    configure(next) {
      options = next;
      for (const breaker of breakers.values()) breaker.configure(next);
    },
    retain(deployments) {
      const keep = new Set(deployments);
      for (const id of breakers.keys()) if (!keep.has(id)) breakers.delete(id);
    },
  };
}
