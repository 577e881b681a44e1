/**
 * @module routing/classify/cues
 * The words and word pairs the classifier looks for, with what each says about the request: a
 * vote for a task type (points) and a push up or down the complexity scale. Kept as a readable
 * table so that a wrong decision can be traced to one line here and fixed there. A cue counts
 * once per request however often it appears, so a pasted document that repeats "distributed"
 * thirty times does not make the request expert.
 */

import type { Task } from './tasks.js';

export interface Cue {
  /** One word, or two separated by a space; lower-case. Hyphens and apostrophes are part of a word. */
  readonly phrase: string;
  readonly words: readonly string[];
  readonly task: Task | undefined;
  readonly taskPoints: number;
  /** Complexity points; negative for the cues of simple asks ("what is", "define"). */
  readonly complexity: number;
}

type TaskRow = readonly [task: Task, points: number, phrases: string];
type ComplexityRow = readonly [points: number, phrases: string];

// Phrases are space-separated; `_` joins the two words of a pair ("binary_search").
const TASK_ROWS: readonly TaskRow[] = [
  [
    'code',
    3,
    'refactor debug debugging segfault traceback stacktrace regex regexp dockerfile unit_test unit_tests ' +
      'code_review pull_request compile compiler typescript javascript python golang kotlin',
  ],
  [
    'code',
    2,
    'code function functions method sql script snippet program implement bug bugs algorithm endpoint ' +
      'html css react django flask numpy pandas bash java rust swift exception binary_search linked_list ' +
      'hash_map recursion recursive variable loop array git docker api',
  ],
  [
    'math',
    3,
    'integral integrals derivative derivatives differentiate integrate equation equations theorem lemma ' +
      'calculus algebra arithmetic polynomial eigenvalue eigenvalues matrix matrices logarithm',
  ],
  [
    'math',
    2,
    'solve calculate compute probability percentage percent factorial prime primes fraction geometry ' +
      'trigonometry sqrt square_root how_many average median variance proof prove',
  ],
  [
    'summarization',
    3,
    'summarize summarise summary summarization summarisation tldr tl_dr recap condense key_takeaways ' +
      'key_points in_brief',
  ],
  ['summarization', 1.5, 'shorten overview gist'],
  ['extraction', 3, 'extract extraction entities named_entities pull_out parse'],
  ['extraction', 2, 'list_all find_all fields identify_all structured all_names all_dates all_emails'],
  [
    'classification',
    3,
    'classify classification categorize categorise categorization sentiment label_the which_category',
  ],
  ['classification', 2, 'category categories label labels spam intent toxic or_negative or_neutral'],
  [
    'creative',
    3,
    'poem poems haiku limerick sonnet lyrics story stories fiction screenplay fairy_tale short_story song ' +
      'slogan tagline',
  ],
  ['creative', 2, 'creative imagine joke jokes narrative plot rhyme metaphor novel'],
  [
    'reasoning',
    2.5,
    'analyze analyse analysis analyzing reasoning logic puzzle riddle trade-offs tradeoffs trade_offs',
  ],
  [
    'reasoning',
    2,
    'compare comparison contrast evaluate assess critique justify implications why by_step should_i ' +
      'versus vs better_than pros cons',
  ],
  ['chat', 2, 'hello hi hey thanks thank_you'],
];

const COMPLEXITY_ROWS: readonly ComplexityRow[] = [
  // Simple asks.
  [-1.5, 'define'],
  [
    -1,
    "what_is what's who_is who_was when_did when_was where_is definition meaning_of format reformat spell " +
      'capital_of one_word hello hi hey thanks',
  ],
  [-0.5, 'translate convert quick briefly simple yes_or'],
  // Ordinary work.
  [1.5, 'explain implement describe refactor'],
  [1.25, 'debug'],
  [1, 'write how_does how_do how_to create build difference differences improve fix compare'],
  [1.5, 'should_i'],
  [1, 'contrast'],
  [0.75, 'generate summarize summarise summary condense'],
  [0.75, 'recommend'],
  [
    0.5,
    'function code algorithm binary_search linked_list hash_map recursion document test tests probability why by_step review',
  ],
  [0.25, 'example examples'],
  // Advanced: design, analysis, systems and specialist domains.
  [3, 'design analyze analyse analysis'],
  [2.5, 'architect'],
  [
    2,
    'architecture architectural optimize optimise optimization optimisation threat_model race_condition ' +
      'deadlock theorem proof prove',
  ],
  [
    1.5,
    'scalable scalability distributed concurrency microservices system_design migrate migration ' +
      'fault-tolerant fault_tolerance high_availability trade-offs tradeoffs trade_offs evaluate assess ' +
      'critique implications cryptography eigenvalue eigenvalues regulatory clinical diagnosis differential_equation paxos',
  ],
  [
    1,
    'concurrent kubernetes strategy security performance consistency roadmap compiler kernel legal ' +
      'compliance calculus integral',
  ],
  [0.75, 'scale latency throughput production quantum financial tax replication replicated sharding'],
  [1, 'geo-replicated multi-region'],
  // Expert: research-grade, exhaustive or formal work.
  [
    3,
    'research comprehensive in-depth in_depth rigorous rigorously dissertation literature_review byzantine',
  ],
  [2.5, 'exhaustive state-of-the-art first_principles publishable'],
  [2, 'thesis peer_review formally novel_approach consensus whitepaper white_paper'],
  [1.5, 'thorough formal'],
  // Constraints and multi-step asks.
  [0.75, 'constraints edge_cases'],
  [0.5, 'requirements constraint'],
  [0.5, 'plan'],
  [0.3, 'must ensure handle finally additionally'],
  [0.2, 'without then first'],
];

function phrasesOf(text: string): string[] {
  return text
    .split(/\s+/)
    .filter((p) => p !== '')
    .map((p) => p.replace('_', ' '));
}

function buildCues(): Cue[] {
  const byPhrase = new Map<string, { task?: Task; taskPoints: number; complexity: number }>();
  const entry = (phrase: string) => {
    let found = byPhrase.get(phrase);
    if (!found) {
      found = { taskPoints: 0, complexity: 0 };
      byPhrase.set(phrase, found);
    }
    return found;
  };
  for (const [task, points, phrases] of TASK_ROWS) {
    for (const phrase of phrasesOf(phrases)) {
      const found = entry(phrase);
      if (found.task !== undefined) throw new Error(`cue "${phrase}" votes for two tasks`);
      found.task = task;
      found.taskPoints = points;
    }
  }
  for (const [points, phrases] of COMPLEXITY_ROWS) {
    for (const phrase of phrasesOf(phrases)) {
      const found = entry(phrase);
      if (found.complexity !== 0) throw new Error(`cue "${phrase}" has two complexity rows`);
      found.complexity = points;
    }
  }
  return [...byPhrase].map(([phrase, found]) => ({
    phrase,
    words: phrase.split(' '),
    task: found.task,
    taskPoints: found.taskPoints,
    complexity: found.complexity,
  }));
}

export const CUES: readonly Cue[] = buildCues();
