/**
 * @module mock-upstream/tokens
 * The mock upstream's own token rule. It deliberately does not use the gateway's tokenizer
 * (that is code under test): a token is a run of up to 8 word characters or up to 3 other
 * characters, carrying any whitespace in front of it. The rule is simple enough to reason about
 * in tests, roughly as dense as real BPE for English, and `splitTokens(t).length === countTokens(t)`
 * always holds, so the pieces the mock streams are exactly the tokens it bills.
 */

const MAX_WORD_CHARS = 8;
const MAX_OTHER_CHARS = 3;
/** Framing tokens per message, as OpenAI documents for its chat format. */
export const TOKENS_PER_MESSAGE = 3;
/** Tokens that prime the assistant's reply. */
export const REPLY_PRIMING_TOKENS = 3;

const SPACE = 0;
const WORD = 1;
const OTHER = 2;

function charClass(code: number): number {
  if (code === 32 || (code >= 9 && code <= 13)) return SPACE;
  if (
    (code >= 48 && code <= 57) ||
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    code === 95 ||
    code >= 128
  ) {
    return WORD;
  }
  return OTHER;
}

/** Where the token starting at `start` ends (exclusive). */
function tokenEnd(text: string, start: number): number {
  let i = start;
  const length = text.length;
  while (i < length && charClass(text.charCodeAt(i)) === SPACE) i++;
  if (i === length) return length;
  const kind = charClass(text.charCodeAt(i));
  const limit = i + (kind === WORD ? MAX_WORD_CHARS : MAX_OTHER_CHARS);
  i++;
  while (i < length && i < limit && charClass(text.charCodeAt(i)) === kind) i++;
  return i;
}

/** Counts tokens without allocating. */
export function countTokens(text: string): number {
  let count = 0;
  let i = 0;
  while (i < text.length) {
    const end = tokenEnd(text, i);
    // Trailing whitespace joins the token before it; whitespace alone is still one token.
    if (end !== text.length || count === 0 || !isBlank(text, i)) count++;
    i = end;
  }
  return count;
}

/** Splits text into tokens; joined, the pieces give back the text exactly. */
export function splitTokens(text: string): string[] {
  const pieces: string[] = [];
  let i = 0;
  while (i < text.length) {
    const end = tokenEnd(text, i);
    if (end === text.length && pieces.length > 0 && isBlank(text, i)) {
      pieces[pieces.length - 1] += text.slice(i);
    } else {
      pieces.push(text.slice(i, end));
    }
    i = end;
  }
  return pieces;
}

function isBlank(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    if (charClass(text.charCodeAt(i)) !== SPACE) return false;
  }
  return true;
}

/** What prompt counting needs to know about a message. */
export interface CountableMessage {
  readonly text: string;
}

/** What prompt counting needs to know about a tool definition. */
export interface CountableTool {
  readonly name: string;
  readonly description: string;
  readonly parameters: unknown;
}

/** Prompt tokens of a chat request: message texts, framing per message, and tool definitions. */
export function countPromptTokens(
  messages: readonly CountableMessage[],
  tools: readonly CountableTool[] = [],
): number {
  let total = REPLY_PRIMING_TOKENS;
  for (const message of messages) total += TOKENS_PER_MESSAGE + countTokens(message.text);
  for (const tool of tools) {
    total += countTokens(tool.name) + countTokens(tool.description);
    if (tool.parameters !== undefined) total += countTokens(JSON.stringify(tool.parameters));
  }
  return total;
}
