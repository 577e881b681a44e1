import { describe, expect, it } from 'vitest';
import { answerArithmetic } from './arithmetic.js';

describe('answerArithmetic', () => {
  it.each([
    ['What is 2+2?', '4'],
    ['what is 12 * 3', '36'],
    ['Calculate 7 minus 10', '-3'],
    ['How much is 6 divided by 4?', '1.5'],
    ['What is (1 + 2) * 3?', '9'],
    ['3 x 5 = ?', '15'],
    ['What is 10 times 10?', '100'],
  ])('%s → %s', (question, answer) => {
    expect(answerArithmetic(question)).toContain(`The answer is ${answer}.`);
  });

  it.each([
    'Tell me about 2024',
    'Write 3 haiku about rain',
    'What is the capital of France?',
    'What is 5/0?',
  ])('leaves %j alone', (prompt) => {
    expect(answerArithmetic(prompt)).toBeUndefined();
  });
});
