/**
 * @module providers/anthropic/anthropic-json-output
 * How `response_format` is carried to Anthropic, whose 2023-06-01 Messages API has no JSON mode.
 * A JSON schema is emulated with a forced tool: the schema becomes the input schema of a tool
 * named `switchyard_json_output` that the model must call, and the response codecs turn that
 * call back into the answer's text (the tool's input, as JSON) with a normal stop. A forced tool
 * works on every Claude model with tool use, where native structured outputs only exist on recent
 * ones. Two cases cannot force a tool — extended thinking (Anthropic rejects a forced tool with
 * thinking on) and `json_object`, which has no schema — and get instructions in the system
 * prompt instead. When the request has tools of its own, the model must call one of them or the
 * output tool (`tool_choice: any`), so it can still use them before it answers.
 *
 * The decoding side is stateless (it does not see the request), hence the reserved tool name: a
 * `tool_use` of that name is always the answer. A client tool must not use that name.
 */

import type { ResponseFormat } from '../../core/chat.js';
import type { AnthropicTool } from './anthropic-messages-api.js';

export const JSON_OUTPUT_TOOL = 'switchyard_json_output';

const TOOL_DESCRIPTION =
  'Give your final answer by calling this tool. Its input is the answer itself: a JSON value matching the required schema.';

export function jsonOutputTool(format: Extract<ResponseFormat, { type: 'json_schema' }>): AnthropicTool {
  const schema = format.jsonSchema;
  const description =
    schema.description === undefined ? TOOL_DESCRIPTION : `${TOOL_DESCRIPTION} ${schema.description}`;
  return {
    name: JSON_OUTPUT_TOOL,
    description,
    input_schema: schema.schema ?? { type: 'object' },
  };
}

/** The system-prompt instructions used where a forced tool cannot be. */
export function jsonInstructions(format: Exclude<ResponseFormat, { type: 'text' }>): string {
  if (format.type === 'json_object') {
    return 'Respond with a single valid JSON object and nothing else: no prose, no code fences.';
  }
  const schema = JSON.stringify(format.jsonSchema.schema ?? { type: 'object' });
  return `Respond with a single JSON value that matches this JSON Schema, and nothing else (no prose, no code fences): ${schema}`;
}
