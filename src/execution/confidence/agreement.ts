/**
 * @module execution/confidence/agreement
 * How much two answers say the same thing. Short and structured answers (a letter, a number, a
 * label, JSON) are compared exactly after normalising case, punctuation and answer prefixes
 * ("The answer is B." agrees with "b"); prose is compared by word overlap (Dice coefficient),
 * since two correct explanations rarely match word for word. Self-consistency across ensemble
 * members (and the RouteLLM/FrugalGPT cascades) rests on this.
 */

const SHORT_WORDS = 6;
const SHORT_CHARS = 48;
const ANSWER_PREFIX =
  /^(?:final answer|the answer is|answer|correct answer|the correct answer is)\s*[:=-]?\s*/;
const CHOICE = /^(?:option\s+)?\(?([a-j])\)?(?:[.):]\s*.*)?$/;

/** Lower-cased, trimmed, whitespace collapsed, wrapping quotes/markup and trailing punctuation gone. */
export function normaliseAnswer(text: string): string {
  let s = text.trim().toLowerCase().replace(/\s+/g, ' ');
  s = s.replace(/^[*_`"'“”‘’]+|[*_`"'“”‘’]+$/g, '');
  s = s.replace(ANSWER_PREFIX, '');
  s = s.replace(/[.!。]+$/, '').trim();
  return s.replace(/^[*_`"'“”‘’]+|[*_`"'“”‘’]+$/g, '').trim();
}

function canonicalJson(text: string): string | undefined {
  const trimmed = text.trim();
  const first = trimmed[0];
  if (first !== '{' && first !== '[') return undefined;
  try {
    return JSON.stringify(sortKeys(JSON.parse(trimmed)));
  } catch {
    return undefined;
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

function asNumber(text: string): number | undefined {
  const cleaned = text.replace(/,/g, '');
  if (!/^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?%?$/.test(cleaned)) return undefined;
  return Number(cleaned.replace('%', ''));
}

function isShort(text: string): boolean {
  return text.length <= SHORT_CHARS && text.split(' ').length <= SHORT_WORDS;
}

/** The key two short answers are compared by: a choice letter, a number, or the normalised text. */
export function shortKey(text: string): string {
  const choice = CHOICE.exec(text);
  if (choice && text.length <= SHORT_CHARS) return `choice:${choice[1]}`;
  const number = asNumber(text);
  if (number !== undefined) return `number:${number}`;
  return `text:${text}`;
}

function words(text: string): Set<string> {
  const set = new Set<string>();
  for (const word of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) if (word !== '') set.add(word);
  return set;
}

/** 0..1: exact for short and structured answers, word overlap (Dice) for prose. */
export function agreement(a: string, b: string): number {
  const jsonA = canonicalJson(a);
  const jsonB = canonicalJson(b);
  if (jsonA !== undefined && jsonB !== undefined) return jsonA === jsonB ? 1 : 0;
  const na = normaliseAnswer(a);
  const nb = normaliseAnswer(b);
  if (na === '' || nb === '') return na === nb ? 1 : 0;
  if (isShort(na) && isShort(nb)) return shortKey(na) === shortKey(nb) ? 1 : 0;
  const wa = words(na);
  const wb = words(nb);
  if (wa.size === 0 || wb.size === 0) return na === nb ? 1 : 0;
  let shared = 0;
  for (const word of wa) if (wb.has(word)) shared++;
  return (2 * shared) / (wa.size + wb.size);
}

/** Answers agreeing at least this much count as the same vote. */
export const VOTE_AGREEMENT = 0.8;

/**
 * The answer most others agree with: votes are the answers agreeing with it (itself included);
 * ties go to the higher total agreement, then the earlier answer. `winner` is -1 for no answers.
 */
export function majorityVote(answers: readonly string[]): { winner: number; votes: number } {
  let winner = -1;
  let bestVotes = 0;
  let bestTotal = -1;
  for (let i = 0; i < answers.length; i++) {
    let votes = 0;
    let total = 0;
    for (let j = 0; j < answers.length; j++) {
      const score = i === j ? 1 : agreement(answers[i]!, answers[j]!);
      total += score;
      if (score >= VOTE_AGREEMENT) votes++;
    }
    if (votes > bestVotes || (votes === bestVotes && total > bestTotal)) {
      winner = i;
      bestVotes = votes;
      bestTotal = total;
    }
  }
  return { winner, votes: bestVotes };
}
