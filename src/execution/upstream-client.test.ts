import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpstreamClient, pinnedLookup } from './upstream-client.js';

const timeouts = { headersTimeoutMs: 2_000, bodyTimeoutMs: 2_000 };

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    }),
  );
}

describe('upstream client', () => {
  const seen: { url: string | undefined; headers: IncomingHttpHeaders }[] = [];
  let trapHits = 0;
  let port = 0;
  let trapPort = 0;
  const server = createServer((req, res) => {
    seen.push({ url: req.url, headers: req.headers });
    req.resume();
    if (req.url === '/redirect') {
      res.writeHead(302, { location: `http://127.0.0.1:${trapPort}/stolen` });
      res.end('{"choices":[]}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  const trap = createServer((req, res) => {
    trapHits++;
    req.resume();
    res.end();
  });
  const client = createUpstreamClient();
  beforeAll(async () => {
    port = await listen(server);
    trapPort = await listen(trap);
  });
  afterAll(async () => {
    await client.close();
    await new Promise((resolve) => server.close(resolve));
    await new Promise((resolve) => trap.close(resolve));
  });

  it('connects a pinned request to the checked address, never asking DNS, with the name in Host', async () => {
    // `.invalid` never resolves (RFC 6761): reaching the server proves the pinned address was used.
    const origin = `http://pinned.invalid:${port}`;
    const response = await client.send(
      { origin, method: 'POST', path: '/v1/chat/completions', headers: {}, body: '{}' },
      { ...timeouts, pinnedAddresses: [{ address: '127.0.0.1', family: 4 }] },
    );
    expect(response.statusCode).toBe(200);
    expect(await response.body.json()).toEqual({ ok: true });
    expect(seen.at(-1)?.headers.host).toBe(`pinned.invalid:${port}`);
    // The same origin without a pin goes through DNS, which has no answer.
    await expect(
      client.send({ origin, method: 'GET', path: '/', headers: {} }, timeouts),
    ).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('does not follow a redirect: the 302 comes back and its Location is never contacted', async () => {
    const response = await client.send(
      { origin: `http://127.0.0.1:${port}`, method: 'POST', path: '/redirect', headers: {}, body: '{}' },
      timeouts,
    );
    expect(response.statusCode).toBe(302);
    await response.body.dump();
    expect(trapHits).toBe(0);
  });
});

describe('pinnedLookup', () => {
  const addresses = [
    { address: '93.184.216.34', family: 4 as const },
    { address: '2606:2800:220:1::1', family: 6 as const },
  ];
  const ask = (options: Parameters<ReturnType<typeof pinnedLookup>>[1]) =>
    new Promise<{ error: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) =>
      pinnedLookup(addresses)('example.com', options, (error, address, family) =>
        resolve({ error, address, family }),
      ),
    );

  it('answers single, all and per-family lookups with the pinned addresses only', async () => {
    expect(await ask({})).toEqual({ error: null, address: '93.184.216.34', family: 4 });
    expect(await ask({ all: true })).toEqual({ error: null, address: addresses, family: undefined });
    expect(await ask({ family: 6 })).toEqual({ error: null, address: '2606:2800:220:1::1', family: 6 });
    expect(await ask({ family: 'IPv6', all: true })).toMatchObject({ address: [addresses[1]] });
  });

  it('fails rather than falling back to DNS when no pinned address has the family asked for', async () => {
    const only4 = pinnedLookup([{ address: '93.184.216.34', family: 4 }]);
    const result = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      only4('example.com', { family: 6 }, (error) => resolve(error)),
    );
    expect(result?.code).toBe('ENOTFOUND');
  });
});

describe('connection caps (a provider’s max_connections)', () => {
  it('keeps each capped provider within its own cap, on its own pools, also when pinned', async () => {
    const open = { now: 0, most: 0 };
    const sockets = new Set<string>();
    const server = createServer((req, res) => {
      req.resume();
      setTimeout(() => res.end('{}'), 40);
    });
    server.on('connection', (socket) => {
      open.now++;
      open.most = Math.max(open.most, open.now);
      sockets.add(`${socket.remotePort}`);
      socket.on('close', () => open.now--);
    });
    const port = await listen(server);
    const client = createUpstreamClient();
    const origin = `http://127.0.0.1:${port}`;
    const request = { origin, method: 'POST' as const, path: '/', headers: {}, body: '{}' };
    const a = { provider: 'a', connections: 1 };
    const b = { provider: 'b', connections: 2 };
    try {
      const send = (options: object) => client.exchange(request, { ...timeouts, ...options });
      // Provider a alone: 6 at once, one connection.
      await Promise.all(Array.from({ length: 6 }, () => send({ connectionLimit: a })));
      expect(sockets.size).toBe(1);
      // a and b together: their own pools, so at most 1 + 2 connections, and b's reused a's none.
      await Promise.all(Array.from({ length: 12 }, (_, i) => send({ connectionLimit: i % 2 === 0 ? a : b })));
      expect(open.most).toBeLessThanOrEqual(3);
      expect(sockets.size).toBe(3);
      // Pinned to an address, the cap holds too (a pool of its own for a + that address).
      const pinned = [{ address: '127.0.0.1', family: 4 as const }];
      await Promise.all(
        Array.from({ length: 4 }, () => send({ connectionLimit: a, pinnedAddresses: pinned })),
      );
      expect(sockets.size).toBe(4);
      // Uncapped, the same burst opens many.
      const before = sockets.size;
      await Promise.all(Array.from({ length: 8 }, () => send({})));
      expect(sockets.size - before).toBeGreaterThan(2);
    } finally {
      await client.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
