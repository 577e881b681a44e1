import { describe, expect, it } from 'vitest';
import { uuidV7 } from './uuid-v7.js';

const SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The Unix milliseconds an id carries in its first 48 bits. */
function millisOf(id: string): number {
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

describe('uuidV7', () => {
  it('is a version-7, RFC 9562-variant UUID carrying the time it was made', () => {
    const at = Date.UTC(2029, 10, 25, 16, 0, 0, 123);
    const id = uuidV7(at);
    expect(id).toMatch(SHAPE);
    expect(millisOf(id)).toBe(at);
  });

  it('sorts in the order the ids were made, within a millisecond and across them', () => {
    const base = Date.UTC(2030, 0, 1);
    const ids: string[] = [];
    for (let i = 0; i < 5_000; i++) ids.push(uuidV7(base + Math.floor(i / 1_000)));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(SHAPE);
  });

  it('stays in order when the clock steps back', () => {
    const later = uuidV7(Date.UTC(2031, 0, 1, 0, 0, 1));
    const stepped = uuidV7(Date.UTC(2031, 0, 1));
    expect(stepped > later).toBe(true);
  });

  it('borrows the next millisecond after 4,096 ids in one, and says so in the id', () => {
    const at = Date.UTC(2033, 0, 1);
    const ids = Array.from({ length: 4_100 }, () => uuidV7(at));
    expect(ids.slice(0, 4_096).every((id) => millisOf(id) === at)).toBe(true);
    expect(ids.slice(4_096).every((id) => millisOf(id) === at + 1)).toBe(true);
    expect(ids[4_095]!.slice(14, 18)).toBe('7fff');
    expect(ids[4_096]!.slice(14, 18)).toBe('7000');
    expect([...ids].sort()).toEqual(ids);
    // The clock catching up with the borrowed millisecond keeps counting in it.
    expect(millisOf(uuidV7(at + 1))).toBe(at + 1);
    expect(uuidV7(at + 1) > ids.at(-1)!).toBe(true);
  });

  it('differs in its random part between ids of the same millisecond', () => {
    const at = Date.UTC(2032, 0, 1);
    const tails = new Set<string>();
    for (let i = 0; i < 1_000; i++) tails.add(uuidV7(at).slice(19));
    expect(tails.size).toBe(1_000);
  });
});
