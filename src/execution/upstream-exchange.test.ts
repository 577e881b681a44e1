import { createServer, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpstreamClient, MAX_ERROR_ANSWER_BYTES, parseRawHeaders } from './upstream-client.js';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    }),
  );
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('upstream client: exchange (a whole answer in one buffer)', () => {
  const hanging: ServerResponse[] = [];
  let closedEarly = 0;
  let port = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      if (req.url === '/chunks') {
        // The answer in three writes, the body exactly as sent back.
        res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
        const body = Buffer.concat(chunks).toString('utf8');
        for (const part of [body.slice(0, 3), body.slice(3, 10), body.slice(10)]) {
          res.write(part);
          await tick();
        }
        res.end();
      } else if (req.url === '/error') {
        res.writeHead(429, { 'retry-after': '7', 'content-type': 'application/json' });
        res.end('{"error":{"message":"slow down"}}');
      } else if (req.url === '/trickle') {
        // Headers at once, then a byte every 40 ms, never ending: no gap reaches bodyTimeout.
        res.writeHead(200, { 'content-type': 'application/json' });
        const drip = setInterval(() => res.write(' '), 40);
        res.on('close', () => {
          clearInterval(drip);
          if (!res.writableFinished) closedEarly++;
        });
      } else if (req.url === '/huge' || req.url === '/huge-error') {
        // 200 KB of JSON-ish bytes, in 8 KB writes.
        res.writeHead(req.url === '/huge' ? 200 : 500, { 'content-type': 'application/json' });
        const block = 'x'.repeat(8 * 1024);
        for (let i = 0; i < 25 && !res.destroyed; i++) {
          res.write(block);
          await tick();
        }
        res.end();
      } else if (req.url === '/empty') {
        res.writeHead(204);
        res.end();
      } else {
        // Never answers; the exchange must be ended from our side.
        res.on('close', () => {
          if (!res.writableFinished) closedEarly++;
        });
        hanging.push(res);
      }
    });
  });
  const client = createUpstreamClient();
  const request = (path: string, body?: string) => ({
    origin: `http://127.0.0.1:${port}`,
    method: 'POST' as const,
    path,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body }),
  });
  const timeouts = { headersTimeoutMs: 2_000, bodyTimeoutMs: 2_000 };

  beforeAll(async () => {
    port = await listen(server);
  });
  afterAll(async () => {
    for (const res of hanging) res.destroy();
    await client.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('gathers an answer sent in several writes, with its status and headers', async () => {
    const sent = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hé, ünïcödé ✓' }] });
    const answer = await client.exchange(request('/chunks', sent), timeouts);
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['x-upstream']).toBe('yes');
    expect(answer.body.toString('utf8')).toBe(sent);
  });

  it('hands back an error status with its headers and body, and an empty body as empty', async () => {
    const refused = await client.exchange(request('/error', '{}'), timeouts);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('7');
    expect(JSON.parse(refused.body.toString('utf8'))).toEqual({ error: { message: 'slow down' } });
    const empty = await client.exchange(request('/empty', '{}'), timeouts);
    expect(empty.statusCode).toBe(204);
    expect(empty.body.length).toBe(0);
  });

  it('is aborted by its signal while waiting, with the signal’s reason, and drops the connection', async () => {
    const controller = new AbortController();
    const pending = client.exchange(request('/hang', '{}'), { ...timeouts, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const reason = new DOMException('client went away', 'AbortError');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    for (let i = 0; i < 100 && closedEarly === 0; i++) await tick();
    expect(closedEarly).toBe(1);
  });

  it('refuses at once with an already aborted signal', async () => {
    const reason = new Error('already gone');
    await expect(
      client.exchange(request('/hang', '{}'), { ...timeouts, signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
  });

  it('ends the whole exchange after timeoutMs with a TimeoutError, however the body trickles', async () => {
    const before = closedEarly;
    const started = Date.now();
    const error = await client
      .exchange(request('/trickle', '{}'), { headersTimeoutMs: 2_000, bodyTimeoutMs: 2_000, timeoutMs: 200 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DOMException);
    expect((error as DOMException).name).toBe('TimeoutError');
    expect(Date.now() - started).toBeLessThan(1_500);
    for (let i = 0; i < 100 && closedEarly === before; i++) await tick();
    expect(closedEarly).toBe(before + 1);
  });

  it('bounds what it holds: an answer past maxBodyBytes fails as INVALID_RESPONSE, an error answer keeps its first 64 KB', async () => {
    const error = await client
      .exchange(request('/huge', '{}'), { ...timeouts, maxBodyBytes: 100 * 1024 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_RESPONSE', details: { limit_bytes: 100 * 1024 } });
    const refused = await client.exchange(request('/huge-error', '{}'), timeouts);
    expect(refused.statusCode).toBe(500);
    expect(refused.body.length).toBe(MAX_ERROR_ANSWER_BYTES);
    // Within the limit the whole answer comes back.
    const whole = await client.exchange(request('/huge', '{}'), timeouts);
    expect(whole.body.length).toBe(200 * 1024);
  });

  it('ends each of several exchanges at its own time limit, a later and shorter one first', async () => {
    // One that starts later but ends sooner ends first, on time; exchanges that ended early
    // (their timers cleared) hold back none of those still waiting.
    for (let i = 0; i < 5; i++) await client.exchange(request('/chunks', `{"n":${i}}`), timeouts);
    const started = Date.now();
    const endedAt = (timeoutMs: number) =>
      client.exchange(request('/hang', '{}'), { ...timeouts, timeoutMs }).then(
        () => Number.NaN,
        (error: unknown) => {
          expect((error as DOMException).name).toBe('TimeoutError');
          return Date.now() - started;
        },
      );
    const long = endedAt(900);
    const short = endedAt(150);
    const middle = endedAt(450);
    const [a, b, c] = await Promise.all([short, middle, long]);
    expect(a).toBeGreaterThanOrEqual(140);
    expect(a).toBeLessThan(400);
    expect(b).toBeGreaterThanOrEqual(440);
    expect(b).toBeLessThan(800);
    expect(c).toBeGreaterThanOrEqual(890);
    expect(c).toBeLessThan(1_500);
  });

  it('resolves with what its reader makes of the answer, and rejects with what it makes of a failure', async () => {
    const reader = {
      answer: (statusCode: number, rawHeaders: readonly Buffer[], body: Buffer) => ({
        statusCode,
        retryAfter: parseRawHeaders(rawHeaders)['retry-after'],
        text: body.toString('utf8'),
      }),
      failure: (error: unknown) => new Error(`failed: ${(error as Error).name}`),
    };
    await expect(client.exchange(request('/error', '{}'), timeouts, reader)).resolves.toEqual({
      statusCode: 429,
      retryAfter: '7',
      text: '{"error":{"message":"slow down"}}',
    });
    const failed = await client
      .exchange(request('/hang', '{}'), { ...timeouts, timeoutMs: 50 }, reader)
      .catch((e: unknown) => e);
    expect((failed as Error).message).toBe('failed: TimeoutError');
    const thrown = new Error('not what I wanted');
    const throwing = {
      ...reader,
      answer: () => {
        throw thrown;
      },
    };
    await expect(client.exchange(request('/chunks', '{}'), timeouts, throwing)).rejects.toBe(thrown);
  });

  it('gives up after the headers timeout', async () => {
    const started = Date.now();
    const error = await client
      .exchange(request('/hang', '{}'), { headersTimeoutMs: 150, bodyTimeoutMs: 150 })
      .catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
