import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGatewayError } from '../core/errors.js';
import { readJsonBody } from './body.js';

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
