/**
 * @module providers/anthropic/anthropic-messages-response
 * A `message` body → canonical ChatResult with one choice. Content blocks keep their order:
 * `text` → text parts, `thinking` → thinking parts with their signature, `redacted_thinking` →
 * redacted parts, `tool_use` → tool calls (the `input` object as JSON text). A `tool_use` of the
 * reserved JSON-output tool is the answer to a `response_format` request and becomes text with a
 * normal stop. Server-tool blocks (web search and the like) have no canonical form and are
 * skipped. A body that is not a message is INVALID_RESPONSE (retryable); an `{type: 'error'}`
 * body that came with a 200 is classified like an HTTP error.
 */

import type { AssistantMessage, ChatResult, ContentPart, ToolCall } from '../../core/chat.js';
import { GatewayError } from '../../core/errors.js';
import type { FinishReason } from '../../core/finish-reason.js';
import { isRecord, stringOr } from '../shared/json.js';
import type { UpstreamTarget } from '../spec.js';
import { classifyAnthropicInBandError } from './anthropic-error.js';
import { JSON_OUTPUT_TOOL } from './anthropic-json-output.js';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason.js';
import { mapAnthropicUsage } from './map-anthropic-usage.js';

function invalid(target: UpstreamTarget, reason: string): GatewayError {
  return new GatewayError('INVALID_RESPONSE', `invalid response from upstream: ${reason}`, {
    details: { provider: target.provider },
  });
}

/** The JSON text of a tool input; `{}` when there is none. */
export function inputJson(input: unknown): string {
  return input === undefined || input === null ? '{}' : JSON.stringify(input);
}

export function parseAnthropicMessagesResponse(body: unknown, target: UpstreamTarget): ChatResult {
  if (!isRecord(body)) throw invalid(target, 'the body is not a JSON object');
  if (body.type === 'error') throw classifyAnthropicInBandError(body, target);
  const blocks = body.content;
  if (!Array.isArray(blocks)) throw invalid(target, 'content is missing');

  const content: ContentPart[] = [];
  let toolCalls: ToolCall[] | undefined;
  let answeredAsJson = false;
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i];
    if (!isRecord(block)) throw invalid(target, `content[${i}] is not an object`);
    switch (block.type) {
      case 'text': {
        const text = stringOr(block.text);
        if (text === undefined) throw invalid(target, `content[${i}].text is not a string`);
        if (text !== '') content.push({ type: 'text', text });
        break;
      }
      case 'thinking': {
        const part: ContentPart = { type: 'thinking', text: stringOr(block.thinking) ?? '' };
        const signature = stringOr(block.signature);
        if (signature !== undefined && signature !== '') part.signature = signature;
        content.push(part);
        break;
      }
      case 'redacted_thinking':
        content.push({ type: 'redacted_thinking', data: stringOr(block.data) ?? '' });
        break;
      case 'tool_use': {
        const name = stringOr(block.name);
        if (name === undefined) throw invalid(target, `content[${i}].name is not a string`);
        if (name === JSON_OUTPUT_TOOL) {
          content.push({ type: 'text', text: inputJson(block.input) });
          answeredAsJson = true;
          break;
        }
        toolCalls ??= [];
        toolCalls.push({ id: stringOr(block.id) ?? '', name, arguments: inputJson(block.input) });
        break;
      }
      default:
        break;
    }
  }

  const message: AssistantMessage = { role: 'assistant', content };
  if (toolCalls !== undefined) message.toolCalls = toolCalls;
  const stopReason = stringOr(body.stop_reason);
  let finish: FinishReason = mapAnthropicStopReason(stopReason);
  if (answeredAsJson && toolCalls === undefined && finish.unified === 'tool_calls') {
    finish = { unified: 'stop', raw: stopReason ?? null };
  }
  const model = stringOr(body.model);
  return {
    id: stringOr(body.id) ?? '',
    model: model === undefined || model === '' ? target.model : model,
    // Anthropic's messages carry no timestamp.
    created: 0,
    choices: [{ index: 0, message, finishReason: finish }],
    usage: mapAnthropicUsage(body.usage),
  };
}
