/**
 * @module eval/python-literal
 * RouterBench stores prompts and answers as the `repr` of a Python list of strings
 * (`['What is…\nA) …']`), escapes and all. Confidence scorers and token counts must see the text
 * the model saw and wrote, so this decodes that one shape — a list of single- or double-quoted
 * string literals — and leaves any other cell unchanged.
 */

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
};

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\n' || c === '\t' || c === '\r';
}

/** Reads one string literal starting at `start` (the quote); returns its text and the index after it. */
function readStringLiteral(text: string, start: number): { value: string; end: number } | undefined {
  const quote = text[start];
  if (quote !== "'" && quote !== '"') return undefined;
  let value = '';
  let i = start + 1;
  let runStart = i;
  while (i < text.length) {
    const c = text[i];
    if (c === quote) {
      value += text.slice(runStart, i);
      return { value, end: i + 1 };
    }
    if (c !== '\\') {
      i++;
      continue;
    }
    value += text.slice(runStart, i);
    const e = text[i + 1];
    if (e === undefined) return undefined;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined && !(e === '0' && /[0-7]/.test(text[i + 2] ?? ''))) {
      value += simple;
      i += 2;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const width = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = text.slice(i + 2, i + 2 + width);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) return undefined;
      value += String.fromCodePoint(Number.parseInt(hex, 16));
      i += 2 + width;
    } else if (e >= '0' && e <= '7') {
      const octal = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4))?.[0] ?? e;
      value += String.fromCharCode(Number.parseInt(octal, 8));
      i += 1 + octal.length;
    } else if (e === '\n') {
      i += 2; // a backslash-newline continues the literal
    } else {
      value += `\\${e}`; // Python keeps unknown escapes verbatim
      i += 2;
    }
    runStart = i;
  }
  return undefined;
}

/**
 * The strings of a Python list-of-strings literal, or undefined when `text` is not one.
 * `['a', "b"]` → `['a', 'b']`.
 */
export function parsePythonStringList(text: string): string[] | undefined {
  let i = 0;
  while (isSpace(text[i])) i++;
  if (text[i] !== '[') return undefined;
  i++;
  const items: string[] = [];
  for (;;) {
    while (isSpace(text[i])) i++;
    if (text[i] === ']') break;
    const literal = readStringLiteral(text, i);
    if (!literal) return undefined;
    items.push(literal.value);
    i = literal.end;
    while (isSpace(text[i])) i++;
    if (text[i] === ',') i++;
    else if (text[i] !== ']') return undefined;
  }
  i++;
  while (isSpace(text[i])) i++;
  return i === text.length ? items : undefined;
}

/** The cell's text: a Python list of strings joined by blank lines, or the cell as it is. */
export function decodeTextCell(cell: string): string {
  const first = cell.charCodeAt(0);
  if (first !== 91 /* [ */ && first !== 32 /* space */) return cell;
  const items = parsePythonStringList(cell);
  return items === undefined ? cell : items.join('\n\n');
}
