/**
 * @module execution/confidence/answer-features
 * Cheap, task-independent signals of whether an answer is right, read from the prompt and the
 * answer text alone: how long they are, whether the answer states a final result, whether the last
 * number in it is whole, whether the arithmetic it shows (`12 * 3 = 36`) checks out, whether it
 * hedges or corrects itself, and — for short answers such as a multiple-choice letter — which
 * answer it gave (small models favour some letters, and are wrong more often when they pick them).
 * None of these is a verdict; a calibrator learns per task how much each one matters — the learned
 * verifier (`learned-verifier`) at request time, and `switchyard eval` when it fits that verifier:
 * both read the features from this one module, so what was learned is what runs.
 */

export const ANSWER_FEATURES = [
  'answer_log_chars',
  'prompt_log_chars',
  'answer_log_lines',
  'prompt_log_numbers',
  'final_marker',
  'final_number_whole',
  'final_number_fractional',
  'arithmetic_checked',
  'arithmetic_errors',
  'hedging',
  'code_block',
] as const;

export type AnswerFeatureName = (typeof ANSWER_FEATURES)[number];

const NUMBER = /-?\d[\d,]*(?:\.\d+)?/g;
const FINAL_MARKER = /####|\\boxed\{|\b(?:final answer|the answer is|answer\s*:)/i;
const HEDGING =
  /\b(?:however|actually|assuming|approximately|roughly|i think|probably|wait|not sure|i apologi[sz]e)\b/i;
// "<expression> = <number>", the expression being numbers joined by + - * / x × and parentheses.
const EQUATION =
  /(\(?\s*-?\d[\d,]*(?:\.\d+)?(?:\s*[-+*/x×]\s*\(?\s*-?\d[\d,]*(?:\.\d+)?\s*\)?)+\s*\)?)\s*=\s*\$?\s*(-?\d[\d,]*(?:\.\d+)?)/g;
const MAX_SHORT_ANSWER = 12;

/** Evaluates + - * / with parentheses over plain numbers; undefined when the text is anything else. */
export function evaluateArithmetic(expression: string): number | undefined {
  const text = expression.replace(/,/g, '').replace(/[x×]/g, '*');
  let i = 0;
  const skip = () => {
    while (text[i] === ' ') i++;
  };
  const number = (): number | undefined => {
    skip();
    if (text[i] === '(') {
      i++;
      const value = sum();
      skip();
      if (text[i] !== ')') return undefined;
      i++;
      return value;
    }
    const match = /^-?\d+(?:\.\d+)?/.exec(text.slice(i));
    if (!match) return undefined;
    i += match[0].length;
    return Number(match[0]);
  };
  const product = (): number | undefined => {
    let value = number();
    for (;;) {
      skip();
      const op = text[i];
      if (value === undefined || (op !== '*' && op !== '/')) return value;
      i++;
      const right = number();
      if (right === undefined) return undefined;
      value = op === '*' ? value * right : value / right;
    }
  };
  function sum(): number | undefined {
    let value = product();
    for (;;) {
      skip();
      const op = text[i];
      if (value === undefined || (op !== '+' && op !== '-')) return value;
      i++;
      const right = product();
      if (right === undefined) return undefined;
      value = op === '+' ? value + right : value - right;
    }
  }
  const value = sum();
  skip();
  return i === text.length && value !== undefined && Number.isFinite(value) ? value : undefined;
}

/** Equations shown in the text that could be checked, and how many of them are wrong. */
export function checkArithmetic(text: string): { checked: number; errors: number } {
  let checked = 0;
  let errors = 0;
  for (const match of text.matchAll(EQUATION)) {
    const left = evaluateArithmetic(match[1]!);
    const right = Number(match[2]!.replace(/,/g, ''));
    if (left === undefined || !Number.isFinite(right)) continue;
    checked++;
    // Answers round: 8/3 = 2.67 is right; 84 * 9/14 = 48 is not.
    if (Math.abs(left - right) > 0.01 * Math.max(1, Math.abs(right))) errors++;
  }
  return { checked, errors };
}

function countLines(text: string): number {
  let lines = 0;
  let inLine = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) inLine = false;
    else if (!inLine && c !== 32 && c !== 13 && c !== 9) {
      inLine = true;
      lines++;
    }
  }
  return lines;
}

/** The answer's features, in the order of `ANSWER_FEATURES`. */
export function answerFeatures(prompt: string, answer: string): number[] {
  const numbers = answer.match(NUMBER);
  const last = numbers?.[numbers.length - 1]?.replace(/,/g, '');
  const lastValue = last === undefined ? Number.NaN : Number(last);
  const whole = Number.isFinite(lastValue) && Number.isInteger(lastValue);
  const arithmetic = checkArithmetic(answer);
  return [
    Math.log1p(answer.length),
    Math.log1p(prompt.length),
    Math.log1p(countLines(answer)),
    Math.log1p(prompt.match(NUMBER)?.length ?? 0),
    FINAL_MARKER.test(answer) ? 1 : 0,
    whole ? 1 : 0,
    Number.isFinite(lastValue) && !whole ? 1 : 0,
    Math.log1p(arithmetic.checked),
    Math.min(arithmetic.errors, 3),
    HEDGING.test(answer) ? 1 : 0,
    answer.includes('```') ? 1 : 0,
  ];
}

/**
 * The answer as a class label when it is short (a letter, a word, a number), for answer-class
 * calibration; undefined for free-form answers.
 */
export function shortAnswerClass(answer: string): string | undefined {
  const text = answer
    .trim()
    .replace(/[.)\s]+$/, '')
    .replace(/^\(/, '');
  if (text === '' || text.length > MAX_SHORT_ANSWER) return undefined;
  return text.toLowerCase();
}

const WORD = /[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?/g;

/**
 * Jaccard overlap of the words and numbers of two answers, 0..1: a graded agreement that still
 * means something for free-form answers (two programs that use the same names and literals), where
 * exact agreement almost never happens.
 */
export function wordOverlap(a: string, b: string): number {
  const left = new Set(a.match(WORD) ?? []);
  const right = new Set(b.match(WORD) ?? []);
  if (left.size === 0 && right.size === 0) return a.trim() === b.trim() ? 1 : 0;
  let shared = 0;
  for (const word of left) if (right.has(word)) shared++;
  return shared / (left.size + right.size - shared);
}
