#!/usr/bin/env node
/**
 * @module bench/bare-proxy
 * The honest baseline every benchmark figure is a ratio to: the least a Node gateway can do.
 * node:http in front, one undici Pool (keep-alive, no connection cap) to the upstream behind;
 * it reads the request body, forwards it with its content type and authorization, and streams
 * the upstream's answer back chunk by chunk. No parsing, no auth, no routing, no accounting.
 *
 *   node bench/bare-proxy.mjs --upstream http://127.0.0.1:PORT [--port N]
 */

import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values } = parseArgs({
  options: {
    upstream: { type: 'string' },
    port: { type: 'string', default: '0' },
  },
});
if (values.upstream === undefined) {
  process.stderr.write('usage: node bench/bare-proxy.mjs --upstream http://127.0.0.1:PORT [--port N]\n');
  process.exit(2);
}

const upstream = new URL(values.upstream);
// The upstream URL may carry a base path (`…/v1`); the client's path is appended to it.
const basePath = upstream.pathname.replace(/\/+$/, '');
const pool = new Pool(upstream.origin, { pipelining: 1, keepAliveTimeout: 30_000 });

function forward(req, res, body) {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const headers = { 'content-type': req.headers['content-type'] ?? 'application/json' };
  if (req.headers.authorization !== undefined) headers.authorization = req.headers.authorization;
  pool
    .request({
      method: req.method,
      path: basePath + req.url,
      headers,
      body,
      signal: controller.signal,
    })
    .then(
      (answer) => {
        const out = { 'content-type': answer.headers['content-type'] ?? 'application/json' };
        const length = answer.headers['content-length'];
        if (length !== undefined) out['content-length'] = length;
        res.writeHead(answer.statusCode, out);
        // Readable.pipe, not stream.pipeline: pipeline builds and aborts an AbortController per
        // call (a DOMException each time), about 15% of this proxy's CPU on Node 20.
        answer.body.on('error', () => res.destroy());
        answer.body.pipe(res);
      },
      (error) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        const text = JSON.stringify({
          error: { message: String(error?.message ?? error), type: 'proxy_error' },
        });
        res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      },
    );
}

const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = chunks.length === 0 ? null : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    forward(req, res, body);
  });
});
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(
    `bare proxy listening on http://127.0.0.1:${server.address().port} → ${values.upstream}\n`,
  );
});

const stop = () => {
  server.close();
  server.closeAllConnections();
  pool.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
