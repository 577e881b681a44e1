/**
 * @module providers/gemini/gemini-thought-signature
 * Gemini's thought signatures must come back, on the part that carried them, in the next request
 * (ai.google.dev/gemini-api/docs/thought-signatures); Gemini 3 answers 400 when the first function
 * call of a step lacks one. Clients of the OpenAI wire keep nothing but a tool call's id, name and
 * arguments, so a function call's signature rides in its id (`<id>__thought__<signature>`), which
 * every client echoes verbatim. Signatures on text and thought parts become canonical thinking
 * parts, tagged `gemini:` so that a signature from another provider (an Anthropic thinking block)
 * is never sent to Gemini, which would reject it. Function calls with no signature of ours (a
 * conversation begun on another model) get the placeholder the same page documents for that case.
 */

const ID_SEPARATOR = '__thought__';
const TAG = 'gemini:';

/** Documented stand-in for function calls Gemini did not produce itself. */
export const FOREIGN_CALL_SIGNATURE = 'skip_thought_signature_validator';

/** The canonical tool-call id of a Gemini function call, carrying its signature when it has one. */
export function toolCallIdWithSignature(id: string, signature: string | undefined): string {
  return signature === undefined || signature === '' ? id : id + ID_SEPARATOR + signature;
}

/** Splits a canonical tool-call id back into the call's id and its signature. */
export function splitToolCallId(id: string): { id: string; signature: string | undefined } {
  const at = id.indexOf(ID_SEPARATOR);
  if (at === -1) return { id, signature: undefined };
  const signature = id.slice(at + ID_SEPARATOR.length);
  return { id: id.slice(0, at), signature: signature === '' ? undefined : signature };
}

/** A Gemini signature as a canonical thinking part carries it. */
export function tagSignature(signature: string): string {
  return TAG + signature;
}

/** The Gemini signature in a canonical thinking part's signature, or undefined if it is not ours. */
export function untagSignature(signature: string | undefined): string | undefined {
  if (signature === undefined || !signature.startsWith(TAG) || signature.length === TAG.length)
    return undefined;
  return signature.slice(TAG.length);
}
