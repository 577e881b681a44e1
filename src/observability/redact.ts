/**
 * @module observability/redact
 * The one redaction layer: logs, error details, traces and the ledger all pass their text and
 * values through a redactor before anything leaves the process. It removes two kinds of secret.
 * Known secrets (provider API keys, the master key, virtual keys registered at runtime) are
 * removed wherever any 8-character piece of them occurs, so a truncated key is caught too.
 * Secret-shaped text (bearer tokens, `sk-…`, `AIza…`, `hf_…`, GitHub tokens, credential headers,
 * `key=` URL parameters) is removed by pattern. Object values under sensitive keys
 * (`authorization`, `api_key`, `password`, …) are replaced whole.
 *
 * Cost of `text(s)` for a string of n characters: O(n) with a small constant. A rolling hash of
 * every 8-character window is checked against a 2^20-bit filter (one array read per character);
 * a filter hit is confirmed against the exact set of windows before anything is replaced, so
 * false positives cost one short substring, never a wrong redaction. `addSecret(k)` is O(|k|)
 * time and memory. A string with no hit and no candidate pattern is returned as is, unallocated.
 */

export const REDACTED = '[REDACTED]';

export interface RedactValueOptions {
  /** Keep (redacted) stack traces of `Error`s; off by default because stacks are long and rarely needed. */
  stacks?: boolean;
}

export interface Redactor {
  /** `s` with every secret removed; the same string when there was nothing to remove. */
  text(s: string): string;
  /**
   * A deep copy of `v` with every string redacted, values under sensitive keys replaced by
   * `[REDACTED]`, and `Error`s turned into plain `{type, code?, message, details?, stack?, cause?}`
   * records (an `Error` is not JSON-serialisable, and its message may quote a secret).
   * Cycles become `[Circular]`; nesting past 32 levels becomes `[Truncated]`.
   */
  value<T>(v: T, options?: RedactValueOptions): T;
  /** Registers a secret known only at runtime (a virtual key as it is created or first seen). */
  addSecret(secret: string): void;
}

export interface RedactorOptions {
  secrets: readonly (string | undefined)[];
}

/** Object keys whose values are always secret, compared in lower case. */
const SENSITIVE_KEYS = new Set([
  'authorization',
  'proxy-authorization',
  'api_key',
  'apikey',
  'api-key',
  'x-api-key',
  'x-goog-api-key',
  'master_key',
  'masterkey',
  'password',
  'secret',
  'client_secret',
  'token',
  'access_token',
  'refresh_token',
  'cookie',
  'set-cookie',
]);

/**
 * One cheap test that rules out every pattern below; only strings that pass it pay for the
 * replacements. It is deliberately broader than the patterns (a match here is not a redaction).
 */
const CANDIDATE =
  /bearer|sk-|aiza|hf_|gh[pousr]_|github_pat_|api[-_]?key|authorization|cookie|[?&](?:key|api_key|access_token|token)=/i;

/** A credential header or field followed by its value, in header, JSON, escaped-JSON or inspect form. */
const HEADER_VALUE =
  /(\b(?:proxy-authorization|authorization|x-goog-api-key|x-api-key|api[-_]?key|set-cookie|cookie)\\?["']?\s*[:=]\s*\\?["']?)[^"'\\\r\n,}[\]]+/gi;
const BEARER = /\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi;
const TOKEN_SHAPES =
  /\b(?:sk-[A-Za-z0-9_-]{8,}|AIza[0-9A-Za-z_-]{30,}|hf_[A-Za-z0-9]{16,}|gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{16,})/g;
const URL_KEY = /([?&](?:key|api_key|api-key|apikey|access_token|token)=)[^&#\s"'\\]+/gi;

/** Pieces of a known secret this long or longer must not survive. */
const WINDOW = 8;
/** Secrets shorter than WINDOW are matched whole; shorter than this they are ignored as meaningless. */
const MIN_SECRET_LENGTH = 4;
/** Odd multiplier of the polynomial rolling hash, computed modulo 2^32 with Math.imul. */
const BASE = 0x9e3779b1 | 0;
/** BASE^(WINDOW-1) mod 2^32: the weight of the character leaving the window. */
const BASE_OUT = power(BASE, WINDOW - 1);
const FILTER_BITS = 20;
const MAX_DEPTH = 32;
/** Bound on the memo of key sensitivity, so a stream of random keys cannot grow it without limit. */
const MAX_KEY_MEMO = 10_000;
/** Texts up to this long are remembered as the last one redacted. */
const MAX_MEMO_CHARS = 512;

function power(base: number, exponent: number): number {
  let result = 1;
  for (let i = 0; i < exponent; i++) result = Math.imul(result, base);
  return result;
}

export function createRedactor(options: RedactorOptions): Redactor {
  // Membership filter over window hashes: bit (hash >>> 12) of 2^20 bits.
  const filter = new Uint32Array(1 << (FILTER_BITS - 5));
  const windows = new Set<string>();
  const shortSecrets: string[] = [];
  const keyMemo = new Map<string, boolean>();
  // Object keys recur (every log line has the same few): their redacted form, computed once.
  // Cleared by addSecret, which can change what a key redacts to.
  const keyTextMemo = new Map<string, string>();

  // The last text redacted and what it became: the same text (a route's path in the access log)
  // comes request after request, and its scan costs ~90 ns where a comparison costs a few.
  // Cleared by addSecret, which can change what a text redacts to.
  let lastIn: string | undefined;
  let lastOut = '';

  function addSecret(secret: string): void {
    if (secret.length < MIN_SECRET_LENGTH) return;
    keyTextMemo.clear();
    lastIn = undefined;
    if (secret.length < WINDOW) {
      if (!shortSecrets.includes(secret)) shortSecrets.push(secret);
      return;
    }
    let hash = 0;
    for (let i = 0; i < secret.length; i++) {
      hash = roll(hash, secret, i);
      if (i < WINDOW - 1) continue;
      const bit = hash >>> (32 - FILTER_BITS);
      filter[bit >>> 5]! |= 1 << (bit & 31);
      windows.add(secret.slice(i - WINDOW + 1, i + 1));
    }
  }

  /** Replaces every run of text covered by known-secret windows with one `[REDACTED]`. */
  function removeKnownSecrets(s: string): string {
    let out: string | undefined;
    let copied = 0; // s[0, copied) is already in out (or needs no change)
    if (windows.size > 0 && s.length >= WINDOW) {
      let hash = 0;
      let runStart = -1;
      let runEnd = -1;
      for (let i = 0; i < s.length; i++) {
        hash = roll(hash, s, i);
        if (i < WINDOW - 1) continue;
        const bit = hash >>> (32 - FILTER_BITS);
        if ((filter[bit >>> 5]! & (1 << (bit & 31))) === 0) continue;
        const start = i - WINDOW + 1;
        if (!windows.has(s.slice(start, i + 1))) continue;
        if (start <= runEnd) {
          runEnd = i + 1;
          continue;
        }
        if (runEnd >= 0) {
          out = (out ?? '') + s.slice(copied, runStart) + REDACTED;
          copied = runEnd;
        }
        runStart = start;
        runEnd = i + 1;
      }
      if (runEnd >= 0) {
        out = (out ?? '') + s.slice(copied, runStart) + REDACTED;
        copied = runEnd;
      }
    }
    let result = out === undefined ? s : out + s.slice(copied);
    for (const secret of shortSecrets) {
      if (result.includes(secret)) result = result.replaceAll(secret, REDACTED);
    }
    return result;
  }

  function text(s: string): string {
    if (s.length < 3) return s;
    // Unchanged, the text itself is the answer (the same string, not an equal one).
    if (s === lastIn) return lastOut === lastIn ? s : lastOut;
    const out = redactText(s);
    // Only short texts are kept: a long one (a whole log line) is rarely seen twice.
    if (s.length <= MAX_MEMO_CHARS) {
      lastIn = s;
      lastOut = out;
    }
    return out;
  }

  function redactText(s: string): string {
    const known = removeKnownSecrets(s);
    if (!CANDIDATE.test(known)) return known;
    return known
      .replace(HEADER_VALUE, `$1${REDACTED}`)
      .replace(BEARER, `$1 ${REDACTED}`)
      .replace(TOKEN_SHAPES, REDACTED)
      .replace(URL_KEY, `$1${REDACTED}`);
  }

  function keyText(key: string): string {
    let redacted = keyTextMemo.get(key);
    if (redacted === undefined) {
      redacted = text(key);
      if (keyTextMemo.size >= MAX_KEY_MEMO) keyTextMemo.clear();
      keyTextMemo.set(key, redacted);
    }
    return redacted;
  }

  function isSensitiveKey(key: string): boolean {
    let sensitive = keyMemo.get(key);
    if (sensitive === undefined) {
      sensitive = SENSITIVE_KEYS.has(key.toLowerCase());
      if (keyMemo.size < MAX_KEY_MEMO) keyMemo.set(key, sensitive);
    }
    return sensitive;
  }

  function copy(v: unknown, depth: number, ancestors: Set<object>, stacks: boolean): unknown {
    if (typeof v === 'string') return text(v);
    if (typeof v !== 'object' || v === null) return v;
    if (ancestors.has(v)) return '[Circular]';
    if (depth >= MAX_DEPTH) return '[Truncated]';
    if (v instanceof Date) return v;
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return v;
    if (v instanceof URL) return text(v.href);
    ancestors.add(v);
    try {
      const next = depth + 1;
      if (Array.isArray(v)) return v.map((item) => copy(item, next, ancestors, stacks));
      if (v instanceof Error) return errorRecord(v, next, ancestors, stacks);
      if (v instanceof Map) {
        const map = new Map<unknown, unknown>();
        for (const [key, item] of v) {
          const sensitive = typeof key === 'string' && isSensitiveKey(key) && item != null;
          map.set(
            copy(key, next, ancestors, stacks),
            sensitive ? REDACTED : copy(item, next, ancestors, stacks),
          );
        }
        return map;
      }
      if (v instanceof Set) {
        const set = new Set<unknown>();
        for (const item of v) set.add(copy(item, next, ancestors, stacks));
        return set;
      }
      const toJSON: unknown = (v as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return copy(toJSON.call(v), next, ancestors, stacks);
      const result: Record<string, unknown> = {};
      for (const key of Object.keys(v)) {
        const item = (v as Record<string, unknown>)[key];
        const redacted = isSensitiveKey(key) && item != null ? REDACTED : copy(item, next, ancestors, stacks);
        // Assigning `__proto__` would set the copy's prototype instead of an own property.
        if (key === '__proto__') Object.defineProperty(result, key, { value: redacted, enumerable: true });
        else result[keyText(key)] = redacted;
      }
      return result;
    } finally {
      ancestors.delete(v);
    }
  }

  function errorRecord(
    error: Error,
    depth: number,
    ancestors: Set<object>,
    stacks: boolean,
  ): Record<string, unknown> {
    const record: Record<string, unknown> = { type: error.name };
    const { code, details } = error as { code?: unknown; details?: unknown };
    if (typeof code === 'string' || typeof code === 'number') record.code = code;
    record.message = text(error.message);
    if (details !== undefined) record.details = copy(details, depth, ancestors, stacks);
    if (stacks && error.stack !== undefined) record.stack = text(error.stack);
    if (error.cause !== undefined) record.cause = copy(error.cause, depth, ancestors, stacks);
    return record;
  }

  for (const secret of options.secrets) {
    if (secret !== undefined) addSecret(secret);
  }

  return {
    text,
    value<T>(v: T, valueOptions?: RedactValueOptions): T {
      // The copy has the same shape as v except where Errors became records: documented above.
      return copy(v, 0, new Set(), valueOptions?.stacks === true) as T;
    },
    addSecret,
  };
}

/** Advances the rolling hash of the WINDOW characters ending at s[i]. */
function roll(hash: number, s: string, i: number): number {
  const out = i >= WINDOW ? Math.imul(s.charCodeAt(i - WINDOW), BASE_OUT) : 0;
  return (Math.imul(hash - out, BASE) + s.charCodeAt(i)) | 0;
}
