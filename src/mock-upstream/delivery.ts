/**
 * @module mock-upstream/delivery
 * Puts a finished answer on the socket the way a real upstream would: a JSON body in one write,
 * or a stream paced by the profile (time to first token, then tokens per second), and the
 * faults that happen while bytes flow (a cut, a reset, an error event). It works on opaque
 * frames with token counts, so it knows nothing of any wire protocol. Every wait goes through a
 * cancellable sleeper so closing the mock never waits for a slow or hanging response.
 */

import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { StreamFrame } from './wire.js';

/** Stream writes are gathered up to this size when tokens come faster than timers can tick. */
const WRITE_BATCH_CHARS = 16_384;
/** Waits shorter than this are not worth a timer: the due tokens go out with the current batch. */
const MIN_WAIT_MS = 1;

/** Timers that can all be cancelled at once; a cancelled sleep resolves `false`. */
export interface Sleeper {
  sleep(ms: number): Promise<boolean>;
  cancelAll(): void;
}

export function createSleeper(): Sleeper {
  const pending = new Map<NodeJS.Timeout, (slept: boolean) => void>();
  return {
    sleep(ms) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(timer);
          resolve(true);
        }, ms);
        pending.set(timer, resolve);
      });
    },
    cancelAll() {
      for (const [timer, resolve] of pending) {
        clearTimeout(timer);
        resolve(false);
      }
      pending.clear();
    },
  };
}

/** The client went away (or the mock is closing): nothing more can be delivered. */
export function isGone(res: ServerResponse): boolean {
  const socket = res.socket;
  return res.destroyed || socket === null || socket.destroyed;
}

function waitForDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Closes the connection without finishing the HTTP message, so the client sees a premature
 * close. Data already written is flushed first (a hard reset could make the client discard it).
 */
function dropConnection(res: ServerResponse): void {
  const socket = res.socket;
  if (socket === null) return;
  socket.once('finish', () => socket.destroy());
  socket.end();
}

/** How a non-stream body is damaged. */
export type BodyDamage = 'truncate' | 'reset';

/**
 * Sends a JSON (or other) body. `truncate` sends a well-framed response whose body is cut in
 * half; `reset` announces the full length, sends `resetAfterBytes` (default half) and drops the
 * connection. Returns whether the client got the whole body.
 */
export function sendBody(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string,
  damage?: BodyDamage,
  resetAfterBytes?: number,
): boolean {
  if (damage === 'truncate') body = body.slice(0, Math.floor(body.length / 2));
  const bytes = Buffer.from(body);
  headers['content-length'] = String(bytes.length);
  res.writeHead(status, headers);
  if (damage === 'reset') {
    const sent = Math.min(resetAfterBytes ?? Math.floor(bytes.length / 2), bytes.length - 1);
    res.flushHeaders();
    if (sent > 0) res.write(bytes.subarray(0, sent));
    dropConnection(res);
    return false;
  }
  res.end(bytes);
  return damage === undefined;
}

/** A stream that stops early: after `afterTokens` tokens, before any finish/usage/done frame. */
export interface StreamCut {
  readonly afterTokens: number;
  /** `end`: a clean end of the HTTP message; `reset`: a dropped connection; `tail`: send `tail`, then end. */
  readonly ending: 'end' | 'reset' | 'tail';
  readonly tail?: string;
}

export interface StreamPlan {
  readonly headers: Record<string, string>;
  readonly frames: readonly StreamFrame[];
  readonly ttftMs: number;
  /** Milliseconds between tokens; 0 sends as fast as the socket takes them. */
  readonly intervalMs: number;
  readonly cut: StreamCut | undefined;
}

export interface StreamOutcome {
  /** Answer tokens written to the socket. */
  readonly served: number;
  /** Every frame was written and the message ended. */
  readonly completed: boolean;
}

/** Streams frames with the plan's timing and cut; resolves when the stream is over, however it ended. */
export async function sendStream(
  res: ServerResponse,
  plan: StreamPlan,
  sleeper: Sleeper,
): Promise<StreamOutcome> {
  res.writeHead(200, plan.headers);
  res.flushHeaders();
  if (plan.ttftMs > 0 && (!(await sleeper.sleep(plan.ttftMs)) || isGone(res)))
    return { served: 0, completed: false };

  const { frames, intervalMs, cut } = plan;
  const start = performance.now();
  let served = 0;
  let batch = '';
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i]!;
    if (
      cut !== undefined &&
      (frame.kind === 'finish' ||
        frame.kind === 'usage' ||
        frame.kind === 'done' ||
        served + frame.tokens > cut.afterTokens)
    ) {
      finishCut(res, batch, cut);
      return { served, completed: false };
    }
    if (intervalMs > 0 && frame.tokens > 0 && served > 0) {
      const wait = start + served * intervalMs - performance.now();
      if (wait > MIN_WAIT_MS) {
        if (batch.length > 0) res.write(batch);
        batch = '';
        if (!(await sleeper.sleep(wait)) || isGone(res)) return { served, completed: false };
      }
    }
    batch += frame.data;
    served += frame.tokens;
    if (batch.length >= WRITE_BATCH_CHARS) {
      const flushed = res.write(batch);
      batch = '';
      if (!flushed) {
        await waitForDrain(res);
        if (isGone(res)) return { served, completed: false };
      }
    }
  }
  res.end(batch);
  return { served, completed: true };
}

function finishCut(res: ServerResponse, batch: string, cut: StreamCut): void {
  if (cut.ending === 'reset') {
    if (batch.length > 0) res.write(batch);
    dropConnection(res);
    return;
  }
  res.end(cut.ending === 'tail' ? batch + (cut.tail ?? '') : batch);
}
