/**
 * @module http/stream-writer
 * Writes a chunk and waits for `drain` when the socket's buffer is full, so a slow client slows
 * its own upstream read instead of growing the gateway's memory.
 */

import type { ServerResponse } from 'node:http';

export function writeChunk(res: ServerResponse, text: string): Promise<void> | undefined {
  if (res.destroyed || res.writableEnded) return undefined;
  if (res.write(text)) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
