/**
 * @module execution/result-stream
 * A finished answer as stream parts, for plans that must see whole answers before choosing
 * (ensembles): the client still gets a stream in its protocol, with the chosen answer.
 */

import type { ChatResult, StreamPart } from '../core/chat.js';

export function resultToParts(result: ChatResult): StreamPart[] {
  const parts: StreamPart[] = [
    { type: 'start', id: result.id, model: result.model, created: result.created },
  ];
  for (const choice of result.choices) {
    for (const part of choice.message.content) {
      if (part.type === 'text' && part.text !== '')
        parts.push({ type: 'text-delta', choice: choice.index, text: part.text });
      if (part.type === 'thinking') {
        parts.push({
          type: 'reasoning-delta',
          choice: choice.index,
          text: part.text,
          ...(part.signature ? { signature: part.signature } : {}),
        });
      }
    }
    if (choice.message.refusal)
      parts.push({ type: 'refusal-delta', choice: choice.index, text: choice.message.refusal });
    choice.message.toolCalls?.forEach((call, index) => {
      parts.push({
        type: 'tool-call-delta',
        choice: choice.index,
        index,
        id: call.id,
        name: call.name,
        argumentsDelta: call.arguments,
      });
    });
    parts.push({ type: 'finish', choice: choice.index, finishReason: choice.finishReason });
  }
  parts.push({ type: 'usage', usage: result.usage });
  return parts;
}
