/**
 * @module providers/shared/stream-parser
 * The shape shared by the byte-stream framers (SSE, NDJSON): bytes or text in, whole events
 * out. Both are incremental and keep only the unfinished tail of the input between calls, so
 * an upstream stream is framed in one pass whatever its chunk boundaries.
 */

import type { StreamEvent } from '../spec.js';

export interface StreamParser {
  /** Frames one chunk of the stream; returns the events it completed (possibly none). */
  push(chunk: Uint8Array | string): StreamEvent[];
  /**
   * Called once when the byte stream has ended. `trailing` is true when unfinished data was
   * pending — the stream was cut in the middle of an event or line.
   */
  end(): { events: StreamEvent[]; trailing: boolean };
}
