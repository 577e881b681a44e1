import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGatewayError } from '../core/errors.js';
import {
  type BodyReceiver,
  jsonDepthExceeds,
  MAX_JSON_DEPTH,
  readJsonBody,
  readJsonBodyInto,
} from './body.js';

const LIMIT = 1_000;

/** The server answers what readJsonBody made of the request: the value, or the error code. */
function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    }),
  );
}

describe('readJsonBody', () => {
  let port = 0;
  const server = createServer((req, res) => {
    readJsonBody(req, LIMIT).then(
      (value) => res.end(JSON.stringify({ value })),
      (error: unknown) => {
        res.setHeader('connection', 'close');
        res.end(JSON.stringify({ code: isGatewayError(error) ? error.code : String(error) }));
      },
    );
  });
  beforeAll(async () => {
    port = await listen(server);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Sends `parts` one write at a time (a tick apart), with or without a Content-Length. */
  function send(
    parts: (string | Buffer)[],
    declared: 'length' | 'chunked' = 'length',
  ): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const total = parts.reduce((sum, part) => sum + Buffer.byteLength(part), 0);
      const req = httpRequest(
        {
          port,
          host: '127.0.0.1',
          method: 'POST',
          path: '/',
          headers: declared === 'length' ? { 'content-length': total } : { 'transfer-encoding': 'chunked' },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => {
            text += chunk;
          });
          res.on('end', () => resolve(JSON.parse(text) as Record<string, unknown>));
        },
      );
      req.on('error', reject);
      let at = 0;
      const next = () => {
        if (at === parts.length) {
          req.end();
          return;
        }
        req.write(parts[at++]);
        setTimeout(next, 5);
      };
      next();
    });
  }

  it('reads a body sent in several chunks, with a declared length or chunked', async () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'ünïcödé ✓ split across writes' }] };
    const text = JSON.stringify(body);
    // Cut inside a multi-byte character too: the bytes are joined before they are decoded.
    const bytes = Buffer.from(text);
    const cut = bytes.indexOf(Buffer.from('✓')) + 1;
    expect(await send([bytes.subarray(0, 7), bytes.subarray(7, cut), bytes.subarray(cut)])).toEqual({
      value: body,
    });
    expect(await send([text.slice(0, 5), text.slice(5)], 'chunked')).toEqual({ value: body });
    expect(await send([text])).toEqual({ value: body });
  });

  it('refuses a body over the limit, declared or not, and an empty or broken one', async () => {
    const big = `{"x":"${'a'.repeat(LIMIT)}"}`;
    expect(await send([big])).toEqual({ code: 'PAYLOAD_TOO_LARGE' });
    expect(await send([big.slice(0, 600), big.slice(600)], 'chunked')).toEqual({ code: 'PAYLOAD_TOO_LARGE' });
    expect(await send([])).toEqual({ code: 'INVALID_REQUEST' });
    expect(await send(['{"model":'])).toEqual({ code: 'INVALID_REQUEST' });
    expect(await send([`${'['.repeat(65)}${']'.repeat(65)}`])).toEqual({ code: 'INVALID_REQUEST' });
  });
});

describe('readJsonBody when the client hangs up', () => {
  /** Starts reading `delayMs` after the request arrived; says how the read ended (or that it hung). */
  function outcome(delayMs: number, sent: string): Promise<string> {
    return new Promise<string>((resolve) => {
      const server = createServer((req) => {
        setTimeout(() => {
          const hung = setTimeout(() => finish('hung'), 1_500);
          const finish = (what: string) => {
            clearTimeout(hung);
            server.close();
            resolve(what);
          };
          readJsonBody(req, LIMIT).then(
            () => finish('resolved'),
            (error: NodeJS.ErrnoException) => finish(`rejected ${error.code}`),
          );
        }, delayMs);
      });
      void listen(server).then((port) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n${sent}`);
          setTimeout(() => socket.destroy(), 20);
        });
        socket.on('error', () => {});
      });
    });
  }

  it('rejects, never hangs, whether the hang-up comes while reading or before reading started', async () => {
    expect(await outcome(0, '{"a":')).toBe('rejected ECONNRESET');
    // Reading starts late (authentication waited on the key store) and finds the client gone.
    expect(await outcome(100, '{"a":')).toBe('rejected ECONNRESET');
    expect(await outcome(100, '')).toBe('rejected ECONNRESET');
  });
});

/** The depth scan as it was, one byte at a time: what the faster one must agree with. */
function depthExceedsByteByByte(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === 0x5c) i++;
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > max) return true;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return false;
}

/** A deterministic pseudo-random source, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
}

describe('jsonDepthExceeds', () => {
  it('agrees with a byte-by-byte scan on brackets, quotes and backslash runs inside long and short strings', () => {
    const next = random(7);
    const pieces = ['[', ']', '{', '}', '"', '\\', '\\\\', '\\"', 'a', 'é', ' ', ':', ','];
    for (let n = 0; n < 20_000; n++) {
      let text = '';
      const count = Math.floor(next() * 60);
      for (let k = 0; k < count; k++) {
        // Long plain runs too: inside a string they take the native search for its end.
        text +=
          next() < 0.2 ? 'x'.repeat(Math.floor(next() * 80)) : pieces[Math.floor(next() * pieces.length)];
      }
      const bytes = Buffer.from(text);
      for (const max of [0, 1, 2, 3, 8]) {
        expect(jsonDepthExceeds(bytes, max), `${JSON.stringify(text)} max ${max}`).toBe(
          depthExceedsByteByByte(bytes, max),
        );
      }
    }
  });

  it('agrees with it for every alignment of a backslash run with the bytes looked at one by one', () => {
    for (let pad = 0; pad < 60; pad++) {
      for (let run = 0; run < 6; run++) {
        for (const after of ['"', 'y"', '\\"z"']) {
          const text = `["${'x'.repeat(pad)}${'\\'.repeat(run)}${after}${'['.repeat(4)}`;
          const bytes = Buffer.from(text);
          expect(jsonDepthExceeds(bytes, 3), text).toBe(depthExceedsByteByByte(bytes, 3));
        }
      }
    }
  });

  it('finds nesting past the limit after long strings full of escapes, and none inside them', () => {
    // Escaped quotes throughout, and an even run of backslashes before the closing quote.
    const long = `"${'ab\\"c'.repeat(200)}${'\\'.repeat(40)}"`;
    const deep = `${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`;
    expect(jsonDepthExceeds(Buffer.from(`[${long},${deep}]`), MAX_JSON_DEPTH)).toBe(true);
    // One backslash more and that quote is escaped: the string never closes.
    expect(jsonDepthExceeds(Buffer.from(`[${long.slice(0, -1)}\\"${deep}]`), MAX_JSON_DEPTH)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from(`["${'['.repeat(500)}"]`), MAX_JSON_DEPTH)).toBe(false);
    // A string that never closes hides everything after it, as the byte scan says.
    expect(jsonDepthExceeds(Buffer.from(`"${'x'.repeat(100)}\\"${'['.repeat(100)}`), 3)).toBe(false);
  });
});

describe('readJsonBodyInto', () => {
  function receiver(): BodyReceiver & { calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      bodyRead: (value) => calls.push(`read ${JSON.stringify(value)}`),
      bodyFailed: (error) => calls.push(`failed ${isGatewayError(error) ? error.code : String(error)}`),
    };
  }

  it('refuses a declared length over the limit at once, and reports a body exactly once', async () => {
    let port = 0;
    const seen: string[][] = [];
    const server = createServer((req, res) => {
      const into = receiver();
      seen.push(into.calls);
      readJsonBodyInto(req, LIMIT, into);
      // Refused before reading: already told, synchronously.
      if (into.calls.length > 0) into.calls.push('(synchronously)');
      req.on('end', () => setImmediate(() => res.end('ok')));
      if (into.calls.length > 0) {
        res.setHeader('connection', 'close');
        res.end('refused');
      }
    });
    port = await listen(server);
    const post = (body: string, length = Buffer.byteLength(body)) =>
      new Promise<void>((resolve, reject) => {
        const req = httpRequest(
          { port, host: '127.0.0.1', method: 'POST', path: '/', headers: { 'content-length': length } },
          (res) => {
            res.resume();
            res.on('end', resolve);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    try {
      await post('{"a":[1,2]}');
      await post('x', LIMIT + 1);
      await post('{"a":');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    expect(seen).toEqual([
      ['read {"a":[1,2]}'],
      ['failed PAYLOAD_TOO_LARGE', '(synchronously)'],
      ['failed INVALID_REQUEST'],
    ]);
  });
});
