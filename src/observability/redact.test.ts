import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import { createRedactor, REDACTED } from './redact.js';

const OPENAI_KEY = 'sk-proj-Q8vT3kLm9XwZr2Yb7NcA5dEf1GhJ4iKu';
const ANTHROPIC_KEY = 'sk-ant-api03-Zx9Wv8Ut7Sr6Qp5On4Ml3Kj2Ih1Gf0Ed';
const MASTER_KEY = 'master-4f1c9e7a2b8d6053';

/** Every piece of `secret` of WINDOW (8) characters: none of them may appear in redacted output. */
function windowsOf(secret: string): string[] {
  const pieces: string[] = [];
  for (let i = 0; i + 8 <= secret.length; i++) pieces.push(secret.slice(i, i + 8));
  return pieces;
}

function leaks(output: string, secrets: string[]): string[] {
  return secrets.flatMap(windowsOf).filter((piece) => output.includes(piece));
}

/** A deterministic generator so a failing case can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('createRedactor: known secrets', () => {
  const redactor = createRedactor({ secrets: [OPENAI_KEY, ANTHROPIC_KEY, MASTER_KEY, undefined] });

  it('replaces a whole secret with one marker', () => {
    expect(redactor.text(`using key ${MASTER_KEY} now`)).toBe(`using key ${REDACTED} now`);
  });

  it('removes any piece of 8 or more characters of a secret, such as a truncated key', () => {
    const truncated = MASTER_KEY.slice(3, 14); // "ter-4f1c9e7"
    const out = redactor.text(`prefix:${truncated}:suffix`);
    expect(out).toBe(`prefix:${REDACTED}:suffix`);
    const eight = MASTER_KEY.slice(5, 13);
    expect(redactor.text(`x${eight}y`)).toBe(`x${REDACTED}y`);
  });

  it('leaves a piece of 7 characters alone: the window size is the documented limit', () => {
    const seven = MASTER_KEY.slice(7, 14);
    expect(redactor.text(`x ${seven} y`)).toBe(`x ${seven} y`);
  });

  it('merges adjacent and overlapping secrets into one marker, at the edges of the text too', () => {
    expect(redactor.text(`${MASTER_KEY}${MASTER_KEY}`)).toBe(REDACTED);
    expect(redactor.text(`${MASTER_KEY} and ${MASTER_KEY}`)).toBe(`${REDACTED} and ${REDACTED}`);
  });

  it('returns the very same string when nothing matches (fast path)', () => {
    const plain = 'request processed for model gpt-4o-mini in 120 ms with 2 attempts';
    expect(redactor.text(plain)).toBe(plain);
    expect(Object.is(redactor.text(plain), plain)).toBe(true);
  });

  it('redacts secrets registered at runtime', () => {
    const local = createRedactor({ secrets: [] });
    const virtualKey = 'sy-virtual-7Hq2Lw9Pz4Rt';
    expect(local.text(`k=${virtualKey}`)).toContain(virtualKey);
    local.addSecret(virtualKey);
    expect(local.text(`k=${virtualKey}`)).toBe(`k=${REDACTED}`);
  });

  it('answers a text seen just before as it did, until a secret learned since changes the answer', () => {
    const local = createRedactor({ secrets: [] });
    const virtualKey = 'sy-virtual-Zp3Kq8Wm1Tx6';
    const path = (tail: string) => `/v1/models/${tail}`; // a new string each time, as from a request
    expect(local.text(path(virtualKey))).toBe(path(virtualKey));
    expect(local.text(path(virtualKey))).toBe(path(virtualKey));
    local.addSecret(virtualKey);
    expect(local.text(path(virtualKey))).toBe(`/v1/models/${REDACTED}`);
    expect(local.text(path(virtualKey))).toBe(`/v1/models/${REDACTED}`);
    local.addSecret('pw1234'); // a short secret clears it too
    expect(local.text(path('pw1234'))).toBe(path('pw1234').replace('pw1234', REDACTED));
    // Nothing to remove: the very text given, also when an equal one was the last seen.
    const again = path('plain');
    expect(local.text(path('plain'))).toBe(again);
    expect(Object.is(local.text(again), again)).toBe(true);
  });

  it('matches secrets shorter than the window whole, and ignores very short ones', () => {
    const local = createRedactor({ secrets: ['pa55wd', 'ab', ''] });
    expect(local.text('login pa55wd ok')).toBe(`login ${REDACTED} ok`);
    expect(local.text('abc lab')).toBe('abc lab');
  });

  it('never lets an 8-character piece survive in random text with embedded fragments', () => {
    const next = random(42);
    const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_ :/"{}';
    const randomText = (length: number): string => {
      let out = '';
      for (let i = 0; i < length; i++) out += alphabet[Math.floor(next() * alphabet.length)];
      return out;
    };
    const secrets = Array.from({ length: 20 }, () => `sk-${randomText(8 + Math.floor(next() * 40))}`);
    const local = createRedactor({ secrets });
    for (let round = 0; round < 500; round++) {
      let text = '';
      for (let part = 0; part < 6; part++) {
        text += randomText(Math.floor(next() * 30));
        if (next() < 0.6) {
          const secret = secrets[Math.floor(next() * secrets.length)]!;
          const start = Math.floor(next() * (secret.length - 8));
          const end = start + 8 + Math.floor(next() * (secret.length - start - 8 + 1));
          text += secret.slice(start, end);
        }
      }
      const out = local.text(text);
      expect(leaks(out, secrets)).toEqual([]);
    }
  });

  it('does not touch random text that contains no secret', () => {
    const next = random(7);
    const local = createRedactor({ secrets: [OPENAI_KEY, MASTER_KEY] });
    for (let round = 0; round < 200; round++) {
      let text = '';
      for (let i = 0; i < 200; i++) text += String.fromCharCode(97 + Math.floor(next() * 26));
      expect(local.text(text)).toBe(text);
    }
  });
});

describe('createRedactor: secret-shaped text', () => {
  const redactor = createRedactor({ secrets: [] });
  const cases: Array<[string, string, string]> = [
    ['bearer token', 'Authorization header was Bearer abc.def-ghi_jkl', 'Bearer abc.def-ghi_jkl'],
    ['OpenAI key', 'key sk-abcdefghijklmnop1234 rejected', 'sk-abcdefghijklmnop1234'],
    ['OpenAI project key', 'key sk-proj-abcDEF123_ghiJKL456 rejected', 'sk-proj-abcDEF123_ghiJKL456'],
    ['Anthropic key', 'x sk-ant-api03-abcdefghij-KLMNOP y', 'sk-ant-api03-abcdefghij-KLMNOP'],
    ['Switchyard virtual key', 'x sk-sy-0123456789abcdef y', 'sk-sy-0123456789abcdef'],
    ['Google key', 'k=AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUv end', 'AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUv'],
    [
      'Hugging Face token',
      'tok hf_abcdefghijklmnopqrstuvwxyzABCDEFGH',
      'hf_abcdefghijklmnopqrstuvwxyzABCDEFGH',
    ],
    [
      'GitHub token',
      'tok ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
    ],
    [
      'GitHub fine-grained token',
      'tok github_pat_11ABCDEFG0123456789_abcdefXYZ',
      'github_pat_11ABCDEFG0123456789_abcdefXYZ',
    ],
    ['x-api-key header', 'x-api-key: plainsecretvalue', 'plainsecretvalue'],
    ['api-key header', 'Api-Key=azuresecret123', 'azuresecret123'],
    ['x-goog-api-key header', '"x-goog-api-key":"googsecret-1"', 'googsecret-1'],
    ['authorization header (Basic)', 'authorization: Basic dXNlcjpwYXNz', 'Basic dXNlcjpwYXNz'],
    ['cookie header', 'Cookie: session=abc123; theme=dark\nnext', 'session=abc123; theme=dark'],
    ['escaped JSON header', '{\\"authorization\\":\\"Token abcdef\\"}', 'Token abcdef'],
    ['inspect-style header', "{ 'x-api-key': 'inspectsecret' }", 'inspectsecret'],
    ['key query parameter', 'GET https://example.com/v1beta/models?key=querysecret&alt=sse', 'querysecret'],
    ['api_key query parameter', 'url /x?foo=1&api_key=querysecret2#frag', 'querysecret2'],
  ];

  it.each(cases)('removes a %s', (_name, input, secret) => {
    const out = redactor.text(input);
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
  });

  it('keeps the names around the redacted values so logs stay readable', () => {
    expect(redactor.text('Authorization: Bearer abcdefghijkl')).toBe(`Authorization: ${REDACTED}`);
    expect(redactor.text('see https://x.test/a?key=zzzzzzzz&alt=sse')).toBe(
      `see https://x.test/a?key=${REDACTED}&alt=sse`,
    );
    expect(redactor.text('"x-api-key":"abc"')).toBe(`"x-api-key":"${REDACTED}"`);
  });

  it('does not redact ordinary words that merely contain the prefixes', () => {
    const plain = 'task-runner disk-usage Bearer tokens ask-me max_tokens=5 monkey=1';
    expect(redactor.text(plain)).toBe(plain);
  });
});

describe('createRedactor: values', () => {
  const redactor = createRedactor({ secrets: [MASTER_KEY] });

  it('replaces values under sensitive keys in any case and copies the rest deeply', () => {
    const input = {
      model: 'gpt-4o-mini',
      headers: { Authorization: 'Bearer x', 'X-Api-Key': 'abc', 'content-type': 'application/json' },
      nested: [{ apiKey: 'k1', password: 'p', note: `uses ${MASTER_KEY}` }],
      Token: 12,
      secret: null,
      max_tokens: 100,
    };
    const out = redactor.value(input);
    expect(out).toEqual({
      model: 'gpt-4o-mini',
      headers: { Authorization: REDACTED, 'X-Api-Key': REDACTED, 'content-type': 'application/json' },
      nested: [{ apiKey: REDACTED, password: REDACTED, note: `uses ${REDACTED}` }],
      Token: REDACTED,
      secret: null,
      max_tokens: 100,
    });
    expect(out).not.toBe(input);
    expect(out.headers).not.toBe(input.headers);
    expect(input.headers.Authorization).toBe('Bearer x');
  });

  it('turns errors into plain records without stacks unless asked, redacting message, details and cause', () => {
    const cause = new Error(`connect failed for ${MASTER_KEY}`);
    const error = new GatewayError('MODEL_ERROR', `upstream rejected ${MASTER_KEY}`, {
      details: { api_key: 'zzz', provider: 'openai' },
      cause,
    });
    const record = redactor.value({ error }).error as unknown as Record<string, unknown>;
    expect(record).toEqual({
      type: 'GatewayError',
      code: 'MODEL_ERROR',
      message: `upstream rejected ${REDACTED}`,
      details: { api_key: REDACTED, provider: 'openai' },
      cause: { type: 'Error', message: `connect failed for ${REDACTED}` },
    });
    const withStack = redactor.value(error, { stacks: true }) as unknown as Record<string, unknown>;
    expect(typeof withStack.stack).toBe('string');
    expect(withStack.stack).not.toContain(MASTER_KEY);
  });

  it('handles cycles, Maps, Sets, URLs, dates and own __proto__ keys without throwing or leaking', () => {
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic.self = cyclic;
    const date = new Date(0);
    const parsed = JSON.parse(`{"__proto__": {"polluted": "${MASTER_KEY}"}}`) as Record<string, unknown>;
    const out = redactor.value({
      cyclic,
      map: new Map<string, string>([
        ['cookie', 'c=1'],
        ['k', MASTER_KEY],
      ]),
      set: new Set([MASTER_KEY]),
      url: new URL('https://example.com/x?key=abcdefgh'),
      date,
      parsed,
    });
    expect(out.cyclic).toEqual({ name: 'a', self: '[Circular]' });
    expect([...out.map.entries()]).toEqual([
      ['cookie', REDACTED],
      ['k', REDACTED],
    ]);
    expect([...out.set]).toEqual([REDACTED]);
    expect(out.url).toBe(`https://example.com/x?key=${REDACTED}`);
    expect(out.date).toBe(date);
    expect(Object.getPrototypeOf(out.parsed)).toBe(Object.prototype);
    expect(JSON.stringify(out.parsed)).toBe(`{"__proto__":{"polluted":"${REDACTED}"}}`);
  });

  it('redacts secrets that appear in object keys', () => {
    const out = redactor.value({ [MASTER_KEY]: 1 });
    expect(Object.keys(out)).toEqual([REDACTED]);
  });

  it('truncates nesting beyond 32 levels instead of recursing without end', () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 40; i++) deep = { child: deep };
    expect(JSON.stringify(redactor.value(deep))).toContain('[Truncated]');
  });
});
