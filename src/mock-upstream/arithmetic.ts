/**
 * @module mock-upstream/arithmetic
 * Answers simple arithmetic questions ("What is 2+2?", "12 times 3", "(1 + 2) * 3") correctly,
 * so quality checks downstream of the mock have something true to verify. A small
 * recursive-descent evaluator, not `eval`: prompts are untrusted text. A question needs a cue
 * ("what is", "calculate"…) or must be the bare expression, so numbers in ordinary prose are
 * left alone.
 */

const ARITHMETIC_CUES = ['what is', "what's", 'calculate', 'compute', 'how much', 'solve', 'evaluate'];
const WORD_OPERATORS: readonly (readonly [string, string])[] = [
  ['multiplied by', '*'],
  ['divided by', '/'],
  ['plus', '+'],
  ['minus', '-'],
  ['times', '*'],
  ['×', '*'],
  ['÷', '/'],
];

/** "What is 2+2?" → "2+2 = 4. The answer is 4."; undefined when the text asks no arithmetic question. */
export function answerArithmetic(text: string): string | undefined {
  if (text.length === 0 || text.length > 500 || !/\d/.test(text)) return undefined;
  let lower = text.toLowerCase();
  const cued = ARITHMETIC_CUES.some((cue) => lower.includes(cue));
  for (const [word, symbol] of WORD_OPERATORS) lower = lower.replaceAll(word, symbol);
  lower = lower.replace(/(\d)\s*x\s*(\d)/g, '$1*$2');
  const bare = lower.replace(/[\s?=]+$/, '').trim();
  for (const match of lower.matchAll(/[-+*/().\d\s]+/g)) {
    const expression = match[0].trim();
    if (!/\d/.test(expression) || (!cued && expression !== bare)) continue;
    const value = evaluate(expression);
    if (value === undefined) continue;
    const shown = Number.isInteger(value) ? String(value) : String(Math.round(value * 1e6) / 1e6);
    return `${expression.replace(/\s+/g, ' ')} = ${shown}. The answer is ${shown}.`;
  }
  return undefined;
}

/** Recursive-descent evaluation of + - * / and parentheses; undefined unless it is a whole binary expression. */
function evaluate(expression: string): number | undefined {
  const source = expression.replace(/\s+/g, '');
  let at = 0;
  let operators = 0;
  const parseNumber = (): number | undefined => {
    if (source[at] === '(') {
      at++;
      const inner = parseSum();
      if (source[at] !== ')') return undefined;
      at++;
      return inner;
    }
    if (source[at] === '-') {
      at++;
      const operand = parseNumber();
      return operand === undefined ? undefined : -operand;
    }
    const start = at;
    while (at < source.length && /[\d.]/.test(source[at]!)) at++;
    const value = Number(source.slice(start, at));
    return at > start && Number.isFinite(value) ? value : undefined;
  };
  const parseProduct = (): number | undefined => {
    let value = parseNumber();
    while (value !== undefined && (source[at] === '*' || source[at] === '/')) {
      const operator = source[at++];
      const right = parseNumber();
      if (right === undefined || (operator === '/' && right === 0)) return undefined;
      value = operator === '*' ? value * right : value / right;
      operators++;
    }
    return value;
  };
  const parseSum = (): number | undefined => {
    let value = parseProduct();
    while (value !== undefined && (source[at] === '+' || source[at] === '-')) {
      const operator = source[at++];
      const right = parseProduct();
      if (right === undefined) return undefined;
      value = operator === '+' ? value + right : value - right;
      operators++;
    }
    return value;
  };
  const value = parseSum();
  return value !== undefined && at === source.length && operators > 0 ? value : undefined;
}
