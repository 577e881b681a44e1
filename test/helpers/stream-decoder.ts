/**
 * Test helper for the providers' stream decoder tests: frames recorded upstream bytes with the
 * real stream parser and decodes them, as the executor does, and checks that a fixture decodes
 * to the same parts whatever its chunk boundaries (every few bytes split in two, then byte by
 * byte, multi-byte characters included). Each decoder test keeps only its target and its parts.
 */

import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { StreamPart } from '../../src/core/chat.js';
import type { StreamParser } from '../../src/providers/shared/stream-parser.js';
import type { StreamDecoder } from '../../src/providers/spec.js';

export interface Decoded {
  parts: StreamPart[];
  done: boolean;
}

export interface FixtureDecoderOptions {
  /** The folder of recorded streams, e.g. `new URL('./__fixtures__/', import.meta.url)`. */
  fixtures: URL;
  /** A fresh framer for the wire (SSE, NDJSON). */
  createParser: () => StreamParser;
  /** A fresh decoder under test. */
  createDecoder: () => StreamDecoder;
  /** Split the fixture in two at every `splitStep`-th byte. */
  splitStep?: number;
}

export interface FixtureDecoder {
  /** The bytes of a recorded stream. */
  fixtureBytes(name: string): Uint8Array;
  /** Frames and decodes the chunks with a fresh parser and decoder. */
  decode(chunks: Uint8Array[]): Decoded;
  /** Decodes a recorded stream whole; asserts every chunking decodes to the same parts. */
  decodeFixture(name: string): Decoded;
}

export function createFixtureDecoder(options: FixtureDecoderOptions): FixtureDecoder {
  const splitStep = options.splitStep ?? 5;

  function fixtureBytes(name: string): Uint8Array {
    return readFileSync(new URL(name, options.fixtures));
  }

  function decode(chunks: Uint8Array[]): Decoded {
    const parser = options.createParser();
    const decoder = options.createDecoder();
    const parts: StreamPart[] = [];
    for (const chunk of chunks) for (const event of parser.push(chunk)) parts.push(...decoder.push(event));
    for (const event of parser.end().events) parts.push(...decoder.push(event));
    parts.push(...decoder.end());
    return { parts, done: decoder.done };
  }

  function decodeFixture(name: string): Decoded {
    const bytes = fixtureBytes(name);
    const whole = decode([bytes]);
    for (let i = 1; i < bytes.length; i += splitStep) {
      expect(decode([bytes.subarray(0, i), bytes.subarray(i)]), `split at ${i}`).toEqual(whole);
    }
    const single = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
    expect(decode(single), 'byte by byte').toEqual(whole);
    return whole;
  }

  return { fixtureBytes, decode, decodeFixture };
}
