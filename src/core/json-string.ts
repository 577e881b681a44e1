/**
 * @module core/json-string
 * `JSON.stringify` of one string, at about half its cost for the strings the gateway writes on
 * every request (ids, names, model text): quotes around it when nothing in it needs escaping.
 */

/**
 * What JSON.stringify escapes in a string: `"`, `\`, control characters, and surrogates (it
 * escapes lone ones; paired ones are left to JSON.stringify too, which writes them as they are).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify(text)`. */
export function jsonString(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}
