import { createServer, type IncomingMessage, type OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { GatewayResponse } from './gateway-response.js';

type Respond = (res: ServerResponse) => void;

/** The raw bytes a server answers a `GET /` with (its Date line taken out), one connection per call. */
async function raw(ResponseClass: typeof ServerResponse, respond: Respond): Promise<string> {
  const server = createServer({ ServerResponse: ResponseClass }, (_req: IncomingMessage, res) =>
    respond(res),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  try {
    return await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      );
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        text += chunk;
      });
      socket.on('end', () => resolve(text.replace(/^Date: .*\r\n/m, '')));
      socket.on('error', reject);
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** What Node's own ServerResponse and the gateway's answer for the same handler. */
async function both(respond: Respond): Promise<{ node: string; gateway: string }> {
  return { node: await raw(ServerResponse, respond), gateway: await raw(GatewayResponse, respond) };
}

/** Writes `head` with a JSON body; a head Node refuses is answered 500 with the error's code. */
function withHead(head: () => OutgoingHttpHeaders, status = 200, phrase?: string): Respond {
  return (res) => {
    const body = '{"ok":true}';
    try {
      const headers = { ...head(), 'content-length': Buffer.byteLength(body) };
      if (phrase === undefined) res.writeHead(status, headers);
      else res.writeHead(status, phrase, headers);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'none';
      res.writeHead(500, { 'x-refused': code, 'content-length': 0 });
      res.end();
      return;
    }
    res.end(body);
  };
}

const TYPICAL = (): OutgoingHttpHeaders => ({
  'x-switchyard-route':
    'cheapest: task=math (arithmetic) -> gpt-4o-mini ($0.00015 est.); 3 fit (3 at tier >= basic)',
  'x-switchyard-model': 'gpt-4o-mini',
  'x-switchyard-attempts': 1,
  'x-switchyard-cost-usd': '0.0000084',
  'x-ratelimit-remaining-requests': '999999999',
  'x-latin1': 'caf\u00e9',
  'content-type': 'application/json',
});

describe('GatewayResponse.writeHead', () => {
  it('writes the same head, byte for byte, as Node writes from the same headers object', async () => {
    const cases: Respond[] = [
      withHead(TYPICAL),
      withHead(TYPICAL, 201, 'Made'),
      // Names that differ only in case are two headers, as Node writes them from an object.
      withHead(() => ({ 'X-Case': 'a', 'x-case': 'b' })),
      // Headers Node acts on: its own Connection, Content-Length and Transfer-Encoding logic.
      withHead(() => ({ connection: 'close', 'content-type': 'text/plain' })),
      withHead(() => ({ 'content-disposition': 'attachment; filename="r\u00e9sum\u00e9.txt"' })),
      // Not plain strings and numbers: Node's own path.
      withHead(() => ({ 'set-cookie': ['a=1', 'b=2'], 'x-flag': true as unknown as string })),
      (res) => {
        res.setHeader('x-set-first', 'yes');
        withHead(TYPICAL)(res);
      },
      (res) => {
        res.writeHead(204);
        res.end();
      },
    ];
    for (const respond of cases) {
      const { node, gateway } = await both(respond);
      expect(gateway).toBe(node);
    }
    expect((await both(withHead(TYPICAL))).gateway).toContain('\r\nx-switchyard-attempts: 1\r\n');
  });

  it('refuses what Node refuses, also after the same names went out valid', async () => {
    for (const head of [
      // The same names as the valid head before it: only the value differs.
      () => ({ ...TYPICAL(), 'x-switchyard-model': 'gpt\r\nx-injected: 1' }),
      () => ({ ...TYPICAL(), 'x-switchyard-attempts': '\u0007' }),
      () => ({ 'x-switchyard-model': 'gpt\r\nx-injected: 1' }),
      () => ({ 'x-switchyard-model': 'tab\tis fine', 'x-bad\u00ff': 'v' }),
      () => ({ 'bad name': 'v' }),
      () => ({ 'x-nul': 'a\u0000b' }),
      () => ({ 'x-wide': '\u2192' }),
      () => ({ 'x-undefined': undefined }),
    ]) {
      // The valid head first, so that the name's last value is a valid one.
      await both(withHead(TYPICAL));
      const { node, gateway } = await both(withHead(head));
      expect(gateway).toBe(node);
      // Node keeps the status line's phrase of the head it refused.
      expect(gateway).toMatch(/^HTTP\/1\.1 500 OK\r\nx-refused: ERR_/);
    }
    expect((await both(withHead(() => ({ 'x-a': 'a\nb' })))).gateway).toContain(
      'x-refused: ERR_INVALID_CHAR',
    );
    expect((await both(withHead(() => ({ 'bad name': 'v' })))).gateway).toContain(
      'x-refused: ERR_INVALID_HTTP_TOKEN',
    );
  });

  it('writes what Node writes for heads with the last names in another order, fewer, more or inherited', async () => {
    const inherited = (): OutgoingHttpHeaders => {
      // Own names those of TYPICAL; an enumerable name on the prototype, which Node leaves out.
      const head = Object.create({ 'x-inherited': 'no' }) as OutgoingHttpHeaders;
      Object.assign(head, TYPICAL());
      return head;
    };
    const reversed = () => Object.fromEntries(Object.entries(TYPICAL()).reverse());
    const fewer = () => Object.fromEntries(Object.entries(TYPICAL()).slice(0, 3));
    const more = () => ({ ...TYPICAL(), 'x-more': 'm' });
    const changed = (n: number) => () => ({
      ...TYPICAL(),
      'x-switchyard-attempts': n,
      'x-latin1': `v${n}\u00e9`,
    });
    for (const head of [inherited, reversed, fewer, more, changed(2), changed(3), inherited, changed(4)]) {
      // The typical head first, so that each of these finds its names as the last ones.
      await both(withHead(TYPICAL));
      const { node, gateway } = await both(withHead(head));
      expect(gateway).toBe(node);
    }
    // The last head's names but its last one (withHead adds a content-length to every head).
    await both(withHead(TYPICAL));
    const prefix = await both((res) => {
      res.writeHead(200, TYPICAL());
      res.end();
    });
    expect(prefix.gateway).toBe(prefix.node);
    expect(prefix.gateway).not.toContain('content-length');
    expect((await both(withHead(inherited))).gateway).not.toContain('x-inherited');
    expect((await both(withHead(changed(5)))).gateway).toContain('\r\nx-switchyard-attempts: 5\r\n');
  });

  it('adds the request id and remembers the head for the access log, which getHeader never saw', async () => {
    let seen: Record<string, unknown> = {};
    const text = await raw(GatewayResponse, (res) => {
      const response = res as GatewayResponse;
      response.requestId = 'req-1';
      response.writeHead(200, { 'x-switchyard-model': 'm', 'content-length': 0 });
      seen = {
        model: response.sentHeader('x-switchyard-model'),
        id: response.sentHeader('x-switchyard-request-id'),
        getHeader: response.getHeader('x-switchyard-model'),
      };
      response.end();
    });
    expect(text).toContain(
      '\r\nx-switchyard-model: m\r\ncontent-length: 0\r\nx-switchyard-request-id: req-1\r\n',
    );
    expect(seen).toEqual({ model: 'm', id: 'req-1', getHeader: undefined });
  });

  it('refuses a second head as Node does, and leaves a refused head nothing to leak into the next', async () => {
    const { node, gateway } = await both((res) => {
      res.writeHead(200, { 'x-first': '1', 'content-length': 0 });
      let code = 'none';
      try {
        res.writeHead(201, { 'x-second': '2' });
      } catch (error) {
        code = (error as NodeJS.ErrnoException).code ?? 'none';
      }
      res.end();
      expect(code).toBe('ERR_HTTP_HEADERS_SENT');
    });
    expect(gateway).toBe(node);
    const phrase = await both((res) => {
      try {
        res.writeHead(200, 'bad\nphrase', { 'x-first': '1' });
      } catch {
        // Node keeps the refused phrase; the next head must bring its own.
        res.writeHead(500, 'Refused', { 'x-second': '2', 'content-length': 0 });
        res.end();
      }
    });
    expect(phrase.gateway).toBe(phrase.node);
    expect(phrase.gateway).not.toContain('x-first');
  });
});
