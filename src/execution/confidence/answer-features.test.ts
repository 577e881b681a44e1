import { describe, expect, it } from 'vitest';
import {
  ANSWER_FEATURES,
  answerFeatures,
  checkArithmetic,
  evaluateArithmetic,
  shortAnswerClass,
  wordOverlap,
} from './answer-features.js';

describe('evaluateArithmetic', () => {
  it('follows precedence and parentheses', () => {
    expect(evaluateArithmetic('2 + 3 * 4')).toBe(14);
    expect(evaluateArithmetic('(2 + 3) * 4')).toBe(20);
    expect(evaluateArithmetic('84*(9/14)')).toBeCloseTo(54, 12);
    expect(evaluateArithmetic('1,200 x 3')).toBe(3600);
  });

  it('refuses anything that is not plain arithmetic', () => {
    expect(evaluateArithmetic('2 + apples')).toBeUndefined();
    expect(evaluateArithmetic('(2 + 3')).toBeUndefined();
  });
});

describe('checkArithmetic', () => {
  it('counts shown equations and the wrong ones, tolerating rounding', () => {
    const answer = 'Men: 84 * 5/14 = 30. Women: <<84*(9/14)=48>>48. Each gets 8/3 = 2.67 gallons.';
    expect(checkArithmetic(answer)).toEqual({ checked: 3, errors: 1 });
  });
});

describe('answerFeatures', () => {
  it('reads the final marker, the last number and hedging', () => {
    const features = answerFeatures(
      'Q: 3 apples and 4 pears?',
      'We add 3 + 4 = 7.\nHowever, maybe 7.5\n#### 7.5',
    );
    const named = Object.fromEntries(ANSWER_FEATURES.map((name, i) => [name, features[i]]));
    expect(named.final_marker).toBe(1);
    expect(named.final_number_whole).toBe(0);
    expect(named.final_number_fractional).toBe(1);
    expect(named.hedging).toBe(1);
    expect(named.arithmetic_errors).toBe(0);
    expect(named.answer_log_lines).toBeCloseTo(Math.log1p(3), 12);
    expect(named.prompt_log_numbers).toBeCloseTo(Math.log1p(2), 12);
  });
});

describe('shortAnswerClass and wordOverlap', () => {
  it('labels short answers and leaves free text unlabelled', () => {
    expect(shortAnswerClass(' B\n')).toBe('b');
    expect(shortAnswerClass('(C).')).toBe('c');
    expect(shortAnswerClass('This is a long explanation')).toBeUndefined();
  });

  it('measures shared words between two answers', () => {
    expect(wordOverlap('def add(a, b): return a + b', 'def add(x, y): return x + y')).toBeCloseTo(3 / 7, 12);
    expect(wordOverlap('A', 'A\n')).toBe(1);
    expect(wordOverlap('', '')).toBe(1);
  });
});
