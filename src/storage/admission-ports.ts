/**
 * @module storage/admission-ports
 * The storage ports of admission (DESIGN.md §1): a `CounterStore` for budgets and rate limits and
 * a `KeyStore` for virtual keys. Every operation is one atomic step on the backend — a SQL
 * transaction, and later one Redis Lua script or one PostgreSQL statement — so that replicas
 * sharing a store can never admit more than a limit between them. Amounts are integers
 * (nano-dollars, tokens, requests): sums never drift and every backend agrees.
 */

/** Outcome of a check-and-add against a counter's limit. */
export interface ReserveResult {
  /** True when the amount fitted and is now held under `reservationId`. */
  ok: boolean;
  /** Settled amount in the counter (excluding this reservation). */
  used: number;
  /** Live reservations of the counter before this one. */
  reserved: number;
  /** The handle to settle or release; present exactly when `ok`. */
  reservationId?: string;
  /**
   * Set on a refusal that is not about the limit: the shared store is unreachable and the
   * configured policy (`storage.redis_down`) fails closed. `used` and `reserved` are then unknown.
   */
  unavailable?: true;
}

/** A counter's state: settled amount and what live reservations hold. */
export interface CounterState {
  used: number;
  reserved: number;
  /** Live (unexpired, unsettled) reservations. */
  reservations: number;
}

/** Outcome of one hit on a sliding-window rate counter. */
export interface WindowHit {
  allowed: boolean;
  /** Weight counted in the sliding window before this hit. */
  count: number;
  /** What is left in the window after this hit (floored, never negative). */
  remaining: number;
  /** Milliseconds until the window has drained entirely, were nothing else to arrive. */
  resetMs: number;
  /** When refused: milliseconds until this hit would be allowed (0 when allowed). */
  retryAfterMs: number;
  /** The store's clock at the hit; pass it back to `adjust` to correct this hit's weight. */
  at: number;
  /** Set on a refusal because the shared store is unreachable (policy fail_closed), not the limit. */
  unavailable?: true;
}

/**
 * Atomic counters for budgets and rate limits.
 *
 * Reservations: `reserve` holds an amount against a limit until it is settled (replaced by what
 * was really spent) or released. A reservation neither settled nor released within its ttl
 * lapses — it stops holding budget, so a crashed request cannot block a budget forever; a settle
 * that arrives after the lapse (within a grace period of an hour) still charges the spend.
 * Settle and release act once: a second call for the same reservation finds nothing and returns
 * undefined / false, so nothing is ever charged twice.
 *
 * Windows: `hit` is a sliding-window rate counter (two fixed buckets, the previous one weighted
 * by how much of it still overlaps the window), checked and incremented atomically.
 */
export interface CounterStore {
  /** Atomically adds `amount` as a reservation if `used + reserved + amount <= limit`. */
  reserve(key: string, amount: number, limit: number, ttlMs: number): Promise<ReserveResult>;
  /** Replaces the reservation by `actual` (added to `used`); undefined when the reservation is unknown. */
  settle(reservationId: string, actual: number): Promise<CounterState | undefined>;
  /** Drops the reservation without charging anything; false when it is unknown. */
  release(reservationId: string): Promise<boolean>;
  /** The counter's current state (zeros for a counter never used). */
  get(key: string): Promise<CounterState>;
  /** Counts `weight` in the sliding window if the window's count plus `weight` stays within `limit`. */
  hit(key: string, windowMs: number, limit: number, weight: number): Promise<WindowHit>;
  /**
   * Corrects an earlier hit by `delta` (negative to give weight back), in the bucket the hit
   * landed in (`at` from its WindowHit); a no-op once that bucket has left the window.
   */
  adjust(key: string, windowMs: number, delta: number, at: number): Promise<void>;
  close(): Promise<void>;
  /**
   * A store whose state lives in this process (memory, SQLite written behind) offers the same
   * operations synchronously here, so that admission does its counting in one step on the
   * event loop instead of awaiting a promise per counter. Same semantics, same atomicity.
   */
  readonly local?: LocalCounterOps;
}

/**
 * The synchronous face of an in-process CounterStore (see `CounterStore.local`). Operations that
 * read the store's clock take it as an optional last argument (`now`): a caller doing several in
 * one step reads `now()` once and passes it to each, instead of each reading the clock.
 */
export interface LocalCounterOps {
  /** The store's clock. */
  now(): number;
  reserve(key: string, amount: number, limit: number, ttlMs: number): ReserveResult;
  settle(reservationId: string, actual: number): CounterState | undefined;
  release(reservationId: string): boolean;
  hit(key: string, windowMs: number, limit: number, weight: number, now?: number): WindowHit;
  adjust(key: string, windowMs: number, delta: number, at: number, now?: number): void;
  /**
   * As `reserve`, but the reservation is its own handle: settled or released with `settleHold`
   * and `releaseHold` of the same store, never by id. The request path's way: no id is looked
   * up, so holding and settling cost no map entry. It lapses, and settles late, like any other.
   */
  hold(key: string, amount: number, limit: number, ttlMs: number, now?: number): HoldResult;
  settleHold(hold: LocalHold, actual: number, now?: number): CounterState | undefined;
  releaseHold(hold: LocalHold, now?: number): boolean;
}

/** A reservation made through `LocalCounterOps.hold`: a handle only its store can use. */
export interface LocalHold {
  readonly amount: number;
}

/** Outcome of `LocalCounterOps.hold`: a `ReserveResult` whose handle is the reservation itself. */
export interface HoldResult {
  ok: boolean;
  used: number;
  reserved: number;
  /** Present exactly when `ok`. */
  hold?: LocalHold;
}

export type BudgetWindow = 'daily' | 'monthly' | 'total';

/** A virtual key as everyone but the key store sees it: never its secret, never its hash. */
export interface VirtualKey {
  id: string;
  name: string;
  /** The first characters of the secret (`sk-sy-abcd`), enough to recognise it, useless to use it. */
  prefix: string;
  /** Models and routes the key may use; empty means all. */
  models: string[];
  budgetUsd?: number;
  budgetWindow?: BudgetWindow;
  /** Requests per minute. */
  rpm?: number;
  /** Tokens (input + output) per minute. */
  tpm?: number;
  /** Queue priority of the key's requests, higher first. */
  priority?: number;
  project?: string;
  user?: string;
  /** May call the admin routes (and mint keys no broader than itself). */
  admin: boolean;
  /** Epoch milliseconds after which the key no longer authenticates. */
  expiresAt?: number;
  metadata?: Record<string, unknown>;
  /** Id of the key that created this one, or `master` / `open` / `cli`. */
  createdBy: string;
  createdAt: number;
  revokedAt?: number;
}

/** What the key store holds: the key plus the SHA-256 (hex) of its secret. */
export interface StoredKey extends VirtualKey {
  hash: string;
}

type Editable = Omit<VirtualKey, 'id' | 'prefix' | 'createdBy' | 'createdAt' | 'revokedAt'>;

/** Fields to change; `null` clears an optional field. */
export type KeyPatch = { [K in keyof Editable]?: Editable[K] | null };

/** Virtual keys, stored hashed. */
export interface KeyStore {
  /** Stores a new key; rejects when the id or the hash already exists. */
  create(key: StoredKey): Promise<void>;
  get(id: string): Promise<VirtualKey | undefined>;
  getByHash(hash: string): Promise<StoredKey | undefined>;
  /** Every key, revoked ones included, oldest first. */
  list(): Promise<VirtualKey[]>;
  /** Marks the key revoked at `at` (once: a second revoke keeps the first time); undefined when unknown. */
  revoke(id: string, at: number): Promise<VirtualKey | undefined>;
  update(id: string, patch: KeyPatch): Promise<VirtualKey | undefined>;
  close(): Promise<void>;
}
