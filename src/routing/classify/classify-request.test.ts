import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors.js';
import {
  type Classification,
  classifyPrompt,
  classifyRequest,
  describeClassification,
  strongestContributions,
} from './classify-request.js';
import { CUES } from './cues.js';

interface Case {
  prompt: string;
  task: string;
  tier: string | string[];
  /** Substrings the explanation must contain. */
  why?: string[];
}

const DOCUMENT =
  'The committee met on Tuesday to review the quarterly results. Revenue grew in every region, ' +
  'costs stayed flat, and the board approved the hiring plan for the next two quarters. ';

const CASES: Case[] = [
  // Seed 002's complexity examples.
  { prompt: 'What is 2+2?', task: 'math', tier: 'basic', why: ['arithmetic', "'what is'"] },
  { prompt: 'What is Python?', task: 'code', tier: 'basic', why: ["'python'", "'what is'"] },
  { prompt: 'Define recursion', tier: 'basic', task: 'code', why: ["'define'"] },
  { prompt: 'Format this date as ISO: March 5th 2024', task: 'chat', tier: 'basic', why: ["'format'"] },
  { prompt: 'Explain quantum physics', task: 'chat', tier: 'intermediate', why: ["'explain'"] },
  { prompt: 'Write code that reverses a linked list', task: 'code', tier: 'intermediate', why: ["'write'"] },
  {
    prompt: 'Write a binary search function',
    task: 'code',
    tier: 'intermediate',
    why: ["'binary search'", "'function'", "'write'"],
  },
  {
    prompt: 'Design distributed architecture',
    task: 'chat',
    tier: ['advanced', 'expert'],
    why: ["'design'"],
  },
  { prompt: 'Design a system for booking meeting rooms', task: 'chat', tier: 'advanced', why: ["'design'"] },
  {
    prompt: 'Analyze the causes of the 2008 financial crisis',
    task: 'reasoning',
    tier: 'advanced',
    why: ["'analyze'"],
  },
  {
    prompt: 'Research the state of the art in protein folding and write a comprehensive analysis',
    task: 'reasoning',
    tier: 'expert',
    why: ["'research'", "'comprehensive'"],
  },
  { prompt: 'Should I use REST or GraphQL?', task: 'reasoning', tier: 'intermediate', why: ["'should i'"] },
  // Chat.
  { prompt: 'Hello!', task: 'chat', tier: 'basic', why: ["'hello'"] },
  { prompt: 'Thanks, that was helpful.', task: 'chat', tier: 'basic' },
  {
    prompt: 'Who was the first president of the United States?',
    task: 'chat',
    tier: 'basic',
    why: ["'who was'"],
  },
  { prompt: 'What is the capital of France?', task: 'chat', tier: 'basic' },
  { prompt: '', task: 'chat', tier: 'basic', why: ['no task cues', 'empty prompt'] },
  { prompt: 'Describe how a bill becomes a law in the United States', task: 'chat', tier: 'intermediate' },
  // Code.
  {
    prompt:
      'Fix this bug:\n```js\nfunction double(a) { return a.map(x => x * 2) }\n```\nIt throws on undefined.',
    task: 'code',
    tier: 'intermediate',
    why: ['code block', 'code to work on'],
  },
  {
    prompt: 'Refactor this class to use dependency injection',
    task: 'code',
    tier: 'intermediate',
    why: ["'refactor'"],
  },
  {
    prompt: 'Write a SQL query that counts orders per customer',
    task: 'code',
    tier: 'basic',
    why: ["'sql'"],
  },
  {
    prompt: 'Debug the race condition in my Go worker pool',
    task: 'code',
    tier: 'advanced',
    why: ["'race condition'"],
  },
  {
    prompt: 'for (let i = 0; i < n; i++) { total += prices[i]; } console.log(total); why is total NaN? { }',
    task: 'code',
    tier: ['basic', 'intermediate'],
    why: ['code syntax'],
  },
  {
    prompt: 'Implement a thread-safe LRU cache in Rust with unit tests and explain the trade-offs',
    task: 'code',
    tier: 'advanced',
    why: ["'implement'"],
  },
  // Math.
  { prompt: 'Solve for x: 2x + 3 = 11', task: 'math', tier: 'basic', why: ["'solve'"] },
  { prompt: 'Calculate 15% of 240', task: 'math', tier: 'basic', why: ["'calculate'"] },
  { prompt: 'What is 12 * 7 + 3?', task: 'math', tier: 'basic', why: ['arithmetic'] },
  { prompt: 'Compute the integral of x^2 sin(x) dx', task: 'math', tier: 'basic', why: ["'integral'"] },
  {
    prompt:
      'Prove rigorously that there are infinitely many primes, then find the eigenvalues of a 3x3 matrix',
    task: 'math',
    tier: 'expert',
    why: ["'rigorously'"],
  },
  // Summarization.
  {
    prompt: 'Summarize this article: The quick brown fox jumps over the lazy dog.',
    task: 'summarization',
    tier: 'basic',
    why: ["'summarize'"],
  },
  { prompt: `TL;DR:\n\n${DOCUMENT}`, task: 'summarization', tier: 'basic', why: ["'tl dr'"] },
  {
    prompt: `Give me the key points of these meeting notes:\n\n${DOCUMENT.repeat(40)}`,
    task: 'summarization',
    tier: 'intermediate',
    why: ['tokens'],
  },
  // Extraction.
  {
    prompt: 'Extract all email addresses from: bob@example.com, alice@example.org',
    task: 'extraction',
    tier: 'basic',
    why: ["'extract'"],
  },
  {
    prompt: 'Pull out the names and dates mentioned in this text: Ann met Bo on May 2.',
    task: 'extraction',
    tier: 'basic',
    why: ["'pull out'"],
  },
  {
    prompt: 'Parse this log line into fields: 2024-01-01 ERROR disk full',
    task: 'extraction',
    tier: 'basic',
    why: ["'parse'"],
  },
  // Classification.
  {
    prompt: 'Classify the sentiment of this review: I loved it!',
    task: 'classification',
    tier: 'basic',
    why: ["'classify'"],
  },
  {
    prompt: 'Is this email spam? "You won a prize, click here"',
    task: 'classification',
    tier: 'basic',
    why: ["'spam'"],
  },
  {
    prompt: 'Categorize these support tickets by product area',
    task: 'classification',
    tier: 'basic',
    why: ["'categorize'"],
  },
  // Creative.
  { prompt: 'Write a haiku about autumn', task: 'creative', tier: 'basic', why: ["'haiku'"] },
  {
    prompt: 'Write a short story about a lighthouse keeper who finds a map',
    task: 'creative',
    tier: 'basic',
    why: ["'short story'"],
  },
  { prompt: 'Come up with a slogan for a coffee shop', task: 'creative', tier: 'basic', why: ["'slogan'"] },
  // Reasoning and multi-step asks.
  {
    prompt: 'Compare the trade-offs between Raft and Paxos for a geo-replicated database',
    task: 'reasoning',
    tier: ['advanced', 'expert'],
    why: ["'trade-offs'"],
  },
  {
    prompt:
      'Evaluate these three vendors:\n1. Acme\n2. Globex\n3. Initech\nThen recommend one and justify it.',
    task: 'reasoning',
    tier: 'advanced',
    why: ['3 list items'],
  },
  {
    prompt: 'Why is the sky blue? Why are sunsets red? And why is the ocean blue?',
    task: 'reasoning',
    tier: 'intermediate',
    why: ['3 questions'],
  },
  {
    prompt:
      'Think step by step: a bat and a ball cost $1.10 in total; the bat costs $1 more than the ball. What does the ball cost?',
    task: 'reasoning',
    tier: ['basic', 'intermediate'],
    why: ["'by step'"],
  },
  // Instruction at the end of a long document: the tail of the ask counts in full.
  {
    prompt: `${DOCUMENT.repeat(20)}\n\nSummarize the above in three sentences.`,
    task: 'summarization',
    tier: ['basic', 'intermediate'],
  },
];

describe('classifyRequest', () => {
  it('has at least 40 prompts in its table, across every chat task and tier', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    const tasks = new Set(CASES.map((c) => c.task));
    for (const task of [
      'chat',
      'code',
      'summarization',
      'extraction',
      'classification',
      'reasoning',
      'math',
      'creative',
    ]) {
      expect(tasks).toContain(task);
    }
    const tiers = new Set(CASES.flatMap((c) => (Array.isArray(c.tier) ? [] : [c.tier])));
    expect([...tiers].sort()).toEqual(['advanced', 'basic', 'expert', 'intermediate']);
  });

  it.each(CASES)('$prompt → $task / $tier', ({ prompt, task, tier, why }) => {
    const result = classifyPrompt(prompt);
    const explanation = describeClassification(result);
    expect(result.task, explanation).toBe(task);
    if (Array.isArray(tier)) expect(tier, explanation).toContain(result.tier);
    else expect(result.tier, explanation).toBe(tier);
    for (const part of why ?? []) expect(explanation).toContain(part);
    expect(result.taskSource).toBe('classifier');
  });

  it('describes the decision in one line: task and tier with their reasons', () => {
    expect(describeClassification(classifyPrompt('Write a binary search function'))).toBe(
      "task=code ('binary search', 'function'), tier=intermediate ('write', 'binary search', 'function')",
    );
  });

  it('ignores words inside fenced code: `analyze` and `research` in pasted code are not the ask', () => {
    const pasted =
      'Summarize what this does:\n```python\nclass Design:\n    def analyze(self):\n        return research()\n```';
    const result = classifyPrompt(pasted);
    // A tie between the ask (summarize) and the code block goes to the more specific skill.
    expect(result.task).toBe('code');
    expect(result.tier).toBe('intermediate');
    expect(result.tierWhy).not.toContain("'analyze'");
    expect(result.tierWhy).not.toContain("'research'");
  });

  it('weighs the system prompt and earlier turns less than the ask', () => {
    const result = classifyRequest({
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'You are a senior Python engineer.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Write a haiku about the sea' }] },
      ],
    });
    expect(result.task).toBe('creative');
  });

  it('a JSON response format votes for extraction', () => {
    const result = classifyRequest({
      messages: [{ role: 'user', content: [{ type: 'text', text: 'The order: two apples, one pear.' }] }],
      responseFormat: { type: 'json_object' },
    });
    expect(result.task).toBe('extraction');
    expect(result.taskWhy).toContain('JSON output');
  });

  it('uses the task and tier the caller set, as given', () => {
    const both = classifyPrompt('What is 2+2?', { task: 'mbpp', tier: 'expert' });
    expect(both).toMatchObject({ task: 'mbpp', tier: 'expert', taskSource: 'caller', tierSource: 'caller' });
    expect(describeClassification(both)).toBe('task=mbpp (set by caller), tier=expert (set by caller)');
    const taskOnly = classifyPrompt('Design distributed architecture', { task: 'code' });
    expect(taskOnly).toMatchObject({ task: 'code', taskSource: 'caller', tierSource: 'classifier' });
    expect(['advanced', 'expert']).toContain(taskOnly.tier);
    const tierOnly = classifyPrompt('Write a haiku', { tier: 'advanced' });
    expect(tierOnly).toMatchObject({ task: 'creative', tier: 'advanced', tierSource: 'caller' });
  });

  it('refuses a tier that is not one', () => {
    expect(() => classifyPrompt('hi', { tier: 'galactic' })).toThrow(GatewayError);
  });

  it('classifies embeddings requests without reading them', () => {
    expect(classifyRequest({}, { operation: 'embeddings' })).toMatchObject({
      task: 'embeddings',
      tier: 'basic',
    });
  });

  it('gives the same answer every time (the scanner reuses its buffers)', () => {
    const first = classifyPrompt('Design a scalable, fault-tolerant event pipeline');
    classifyPrompt('Hello!');
    expect(classifyPrompt('Design a scalable, fault-tolerant event pipeline')).toEqual(first);
  });

  it('keeps each answer its own: later classifications change no earlier one', () => {
    const prompts = [
      'What is 2+2?',
      'Tuesday morning',
      '',
      'Fix this:\n```js\nfunction f() { return 1 }\n```',
      'x = 1; y = 2; { z; } { w; }',
      'Design a distributed consensus protocol and prove its safety',
      '- one\n- two\n- three\nWhy? How? When?',
    ];
    const answers = prompts.map((prompt) => classifyPrompt(prompt));
    const copies = structuredClone(answers);
    for (const prompt of [...prompts].reverse()) classifyPrompt(prompt);
    expect(answers).toEqual(copies);
    expect(prompts.map((prompt) => classifyPrompt(prompt))).toEqual(copies);
    expect(describeClassification(answers[0]!)).toBe("task=math (arithmetic), tier=basic ('what is')");
    expect(describeClassification(answers[1]!)).toBe(
      'task=chat (no task cues), tier=basic (no complexity cues)',
    );
    expect(describeClassification(answers[2]!)).toBe('task=chat (no task cues), tier=basic (empty prompt)');
  });

  it('has no cue twice (each phrase votes once)', () => {
    const phrases = CUES.map((c) => c.phrase);
    expect(new Set(phrases).size).toBe(phrases.length);
  });

  it('micro-benchmark: classifying a 2k-token prompt (logged, not asserted)', () => {
    let text = 'Summarize the following notes for an engineering audience:\n\n';
    while (text.length < 8000) text += DOCUMENT;
    const request = { messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text }] }] };
    for (let i = 0; i < 2000; i++) classifyRequest(request);
    const samples: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const started = process.hrtime.bigint();
      classifyRequest(request);
      samples.push(Number(process.hrtime.bigint() - started) / 1000);
    }
    samples.sort((a, b) => a - b);
    console.log(
      `classify ${text.length} chars: median ${samples[2500]!.toFixed(1)} µs (under vitest's transform)`,
    );
    expect(samples.length).toBe(5000);
  });
});

/** A small deterministic generator, so that a failure can be replayed. */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
}

describe('explaining the tier (strongestContributions)', () => {
  /** What the explanation was before: the first three of a stable sort, stopping at one that did not add. */
  function bySorting(rank: number, labels: readonly string[], points: readonly number[]): string[] {
    const sorted = labels.map((label, i) => ({ label, points: points[i]! }));
    sorted.sort((a, b) =>
      rank === 0 ? Math.abs(b.points) - Math.abs(a.points) || a.points - b.points : b.points - a.points,
    );
    const why: string[] = [];
    for (const c of sorted) {
      if (why.length === 3) break;
      if (rank > 0 && c.points <= 0) break;
      why.push(c.label);
    }
    return why;
  }

  it('picks what a stable sort put first, ties to the first found, for every tier', () => {
    const random = generator(20_240_131);
    // Few distinct values, so that ties (and equal magnitudes of opposite sign) are common.
    const values = [-2, -1.5, -1, -0.5, -0.3, 0.3, 0.5, 0.75, 1, 1.5, 2, 3];
    for (let run = 0; run < 5_000; run++) {
      const count = Math.floor(random() * 9);
      const labels = Array.from({ length: count }, (_, i) => `c${i}`);
      const points = Array.from({ length: count }, () => values[Math.floor(random() * values.length)]!);
      // Scratch lists longer than `count`, as the classifier's are after a larger request.
      const stale = [...points, 9, -9];
      for (const rank of [0, 1, 2, 3]) {
        expect(strongestContributions(rank, [...labels, 'x', 'y'], stale, count)).toEqual(
          bySorting(rank, labels, points),
        );
      }
    }
  });

  it('explains prompts with several contributions as before', () => {
    const cases: [string, string, number, string[]][] = [
      [
        'Research and write a comprehensive, rigorous survey of consensus protocols',
        'expert',
        12,
        ["'research'", "'comprehensive'", "'rigorous'"],
      ],
      [
        'Design a scalable, fault-tolerant, distributed system; evaluate trade-offs, ensure security and performance',
        'expert',
        12.8,
        ["'design'", "'scalable'", "'fault-tolerant'"],
      ],
      ['Explain simply and briefly what a list is', 'basic', 1, ["'explain'", "'briefly'"]],
      [
        'Quick: just tell me simply, briefly, what is a cat?',
        'basic',
        -2,
        ["'what is'", "'quick'", "'briefly'"],
      ],
      [
        '- one\n- two\n- three\n- four\n- five\n- six\nWhy? How? When? Where?',
        'advanced',
        3,
        ['6 list items', '4 questions', "'why'"],
      ],
      [
        'Fix this:\n```js\nfunction f() { return 1 }\n```\nthen explain the edge cases and constraints',
        'advanced',
        4.95,
        ["'explain'", "'fix'", "'edge cases'"],
      ],
    ];
    for (const [prompt, tier, score, why] of cases) {
      expect(classifyPrompt(prompt)).toMatchObject({ tier, score, tierWhy: why });
    }
  });
});

describe('describeClassification', () => {
  const fresh = (c: Classification) =>
    `task=${c.task} (${c.taskWhy.join(', ')}), tier=${c.tier} (${c.tierWhy.join(', ')})`;

  it('says the same as a text made afresh, whatever came before', () => {
    const random = generator(7);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const reasons = ['arithmetic', "'what is'", "'write'", 'a, b', '', 'code block'];
    let previous: Classification = classifyPrompt('What is 2+2?');
    for (let run = 0; run < 20_000; run++) {
      // Most differ from the one before in one thing only: a text kept for the wrong one would show.
      const next: Classification = {
        ...previous,
        taskWhy: [...previous.taskWhy],
        tierWhy: [...previous.tierWhy],
      };
      const change = Math.floor(random() * 7);
      if (change === 0) next.task = pick(['math', 'code', 'chat', 'mbpp']);
      if (change === 1) next.tier = pick(['basic', 'intermediate', 'advanced', 'expert'] as const);
      if (change === 2) next.taskWhy = Array.from({ length: Math.floor(random() * 4) }, () => pick(reasons));
      if (change === 3) next.tierWhy = Array.from({ length: Math.floor(random() * 4) }, () => pick(reasons));
      if (change === 4 && next.taskWhy.length > 0) next.taskWhy = [pick(reasons), ...next.taskWhy.slice(1)];
      if (change === 5) next.tierWhy = [...next.tierWhy, pick(reasons)];
      expect(describeClassification(next)).toBe(fresh(next));
      previous = next;
    }
  });

  it('follows a classification changed in place after it was described', () => {
    const classification = classifyPrompt('What is 2+2?');
    expect(describeClassification(classification)).toBe("task=math (arithmetic), tier=basic ('what is')");
    (classification.taskWhy as string[]).push('more');
    expect(describeClassification(classification)).toBe(
      "task=math (arithmetic, more), tier=basic ('what is')",
    );
  });
});
