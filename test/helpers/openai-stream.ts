/**
 * Test helper: reads a chat completion stream from the official `openai` client to its end, the
 * way an application would, and keeps what the tests assert on — the text, the finish reason,
 * the usage of the final chunk, and how many chunks (and content deltas) carried it.
 */

import type OpenAI from 'openai';

export interface ReadChatStream {
  /** The content deltas of choice 0, joined. */
  text: string;
  /** The last finish reason of choice 0; null when none came. */
  finish: string | null;
  /** The usage of the (last) chunk that carried one. */
  usage: OpenAI.CompletionUsage | undefined;
  /** Every chunk, usage-only ones included. */
  chunks: number;
  /** The chunks whose choice 0 carried content. */
  deltas: number;
}

export async function readChatStream(
  stream: AsyncIterable<OpenAI.ChatCompletionChunk>,
): Promise<ReadChatStream> {
  const read: ReadChatStream = { text: '', finish: null, usage: undefined, chunks: 0, deltas: 0 };
  for await (const chunk of stream) {
    read.chunks++;
    const choice = chunk.choices[0];
    if (choice?.delta.content) {
      read.text += choice.delta.content;
      read.deltas++;
    }
    if (choice?.finish_reason) read.finish = choice.finish_reason;
    if (chunk.usage) read.usage = chunk.usage;
  }
  return read;
}
