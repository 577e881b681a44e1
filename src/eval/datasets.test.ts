import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from './datasets.js';

const fixtures = join(import.meta.dirname, '__fixtures__');

describe('loadDataset', () => {
  it('reads the wide RouterBench form: decoded prompts and answers, costs, missing cells left out', async () => {
    const dataset = await loadDataset(join(fixtures, 'wide.csv'));
    expect(dataset.format).toBe('routerbench');
    expect(dataset.models).toEqual(['small', 'big']);
    expect(dataset.rows.map((r) => r.id)).toEqual(['q.1', 'q.2', 'q.3']);
    const [first, second, third] = dataset.rows;
    expect(first!.prompt).toBe('What is 2+2?\nA) 3\nB) 4');
    expect(first!.task).toBe('quiz');
    expect(first!.outcomes.big).toEqual({ score: 1, cost: 0.001, response: 'B\n' });
    expect(second!.prompt).toBe(`It's a "hard" one, isn't it?`);
    // An empty score cell is a missing observation, not a wrong answer.
    expect(third!.outcomes.small).toEqual({ cost: 0.0001 });
    expect(third!.outcomes.small!.score).toBeUndefined();
    expect(dataset.notes.join(' ')).toMatch(/1 empty score cells read as missing/);
  });

  it('reads the RouteLLM form, drops contaminated prompts and prices answers by their tokens', async () => {
    const dataset = await loadDataset(join(fixtures, 'tiny_responses.csv'), {
      prices: { 'weak-model': { inputPerMTok: 1, outputPerMTok: 2 } },
    });
    expect(dataset.format).toBe('routellm');
    expect(dataset.models).toEqual(['weak-model', 'gpt-4-1106-preview']);
    expect(dataset.rows.map((r) => r.prompt)).toEqual(['Add 2 and 3.', 'Multiply 4, 5']);
    expect(dataset.rows[0]!.task).toBe('tiny');
    const weak = dataset.rows[0]!.outcomes['weak-model']!;
    expect(weak.score).toBe(1);
    expect(weak.response).toBe(' 2 + 3 = 5\n#### 5');
    // A few tokens each way at $1 / $2 per million.
    expect(weak.cost).toBeGreaterThan(5e-6);
    expect(weak.cost).toBeLessThan(5e-5);
    // GPT-4 Turbo at $10 / $30 per million costs far more for a similar answer.
    expect(dataset.rows[0]!.outcomes['gpt-4-1106-preview']!.cost).toBeGreaterThan(weak.cost! * 5);
    expect(dataset.notes.join(' ')).toMatch(/dropped 1 prompts listed in tiny_contaminated_prompts.jsonl/);
  });

  it('refuses a RouteLLM file with a model it cannot price', async () => {
    await expect(loadDataset(join(fixtures, 'tiny_responses.csv'))).rejects.toThrow(
      /no price known for weak-model/,
    );
  });

  it('reads JSONL outcomes, booleans as scores, with defaults for id and task', async () => {
    const dataset = await loadDataset(join(fixtures, 'outcomes.jsonl'));
    expect(dataset.format).toBe('jsonl');
    expect(dataset.models).toEqual(['cheap', 'dear']);
    expect(dataset.rows).toHaveLength(2);
    expect(dataset.rows[0]).toMatchObject({ id: 'a', task: 'geo' });
    expect(dataset.rows[1]!.task).toBe('outcomes');
    expect(dataset.rows[1]!.outcomes.cheap).toEqual({ score: 0, cost: 0.0001, response: 'Sydney' });
    expect(dataset.rows[1]!.outcomes.dear).toEqual({ score: 1, cost: 0.01 });
  });
});
