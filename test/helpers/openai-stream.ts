/**
 * Test helper: reads a chat completion stream from the official `openai` client to its end, the
 * way an application would, and keeps what the tests assert on — the text, the finish reason,
 * the usage of the final chunk, the tool-call deltas, and how many chunks (and content deltas)
 * carried it. What arrived before a stream failed stays readable in the object passed in.
 */

import type OpenAI from 'openai';

export interface ReadChatStream {
  /** The content deltas of choice 0, joined. */
  text: string;
  /** The last finish reason of choice 0; null when none came. */
  finish: string | null;
  /** The usage of the (last) chunk that carried one. */
  usage: OpenAI.CompletionUsage | undefined;
  /** The tool-call deltas of choice 0, in the order they came. */
  toolCalls: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[];
  /** Every chunk, usage-only ones included. */
  chunks: number;
  /** The chunks whose choice 0 carried content. */
  deltas: number;
}

/** Nothing read yet: pass one to `readChatStream` to see how far a failing stream got. */
export function emptyChatStream(): ReadChatStream {
  return { text: '', finish: null, usage: undefined, toolCalls: [], chunks: 0, deltas: 0 };
}

/** Reads the stream to its end into `read`; rejects with the stream's error, if any. */
export async function readChatStream(
  stream: AsyncIterable<OpenAI.ChatCompletionChunk>,
  read: ReadChatStream = emptyChatStream(),
): Promise<ReadChatStream> {
  for await (const chunk of stream) {
    read.chunks++;
    const choice = chunk.choices[0];
    if (choice?.delta.content) {
      read.text += choice.delta.content;
      read.deltas++;
    }
    if (choice?.delta.tool_calls) read.toolCalls.push(...choice.delta.tool_calls);
    if (choice?.finish_reason) read.finish = choice.finish_reason;
    if (chunk.usage) read.usage = chunk.usage;
  }
  return read;
}
